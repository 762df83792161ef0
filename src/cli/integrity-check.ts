import type { Config } from '../config/index.js';
import { checkAccessIntegrity, checkEventIntegrity } from '../domain/integrity.js';
import { toVersionDoc } from '../api/accesses/shared.js';
import { TokenVault } from '../auth/crypto.js';
import { loadSecrets } from '../secrets/core-secrets.js';
import { PgAccessesStore } from '../storage/engines/postgresql/accesses-store.js';
import type { Logger } from '../logging/logger.js';
import { databaseSettings } from '../secrets/database-password.js';
import { PostgresEngine } from '../storage/engines/postgresql/engine.js';
import { PgEventsStore } from '../storage/engines/postgresql/events-store.js';
import type { EventsStore } from '../storage/interfaces/events-store.js';

/**
 * bin/integrity-check: recomputes the `integrity` of every stored event and access (config
 * `integrity.events`, `integrity.accesses`, docs/api.md#integrity) and lists those whose content no
 * longer matches it, e.g. rows edited in the database behind the API. Read-only. Access hashes
 * cover the token, so the check unseals tokens with the core's token secret.
 */

export interface IntegrityReport {
  checked: number;
  withIntegrity: number;
  mismatches: { userId: string; eventId: string }[];
  accesses: { checked: number; mismatches: { userId: string; accessId: string }[] };
}

export async function checkEventsIntegrity(events: EventsStore): Promise<IntegrityReport> {
  const report: IntegrityReport = { checked: 0, withIntegrity: 0, mismatches: [], accesses: { checked: 0, mismatches: [] } };
  for await (const { userId, event } of events.scanAll()) {
    report.checked += 1;
    if (event.integrity === undefined) continue;
    report.withIntegrity += 1;
    if (!checkEventIntegrity(event)) report.mismatches.push({ userId, eventId: event.id });
  }
  return report;
}

/** Adds the accesses that carry an integrity (each recomputed over its API form with its token). */
export async function checkAccessesIntegrity(accesses: PgAccessesStore, vault: TokenVault, report: IntegrityReport): Promise<void> {
  for await (const { userId, access } of accesses.scanWithIntegrity()) {
    report.accesses.checked += 1;
    const { integrity, ...doc } = toVersionDoc(access);
    let token: string | null = null;
    try {
      token = vault.decrypt(access.tokenSealed);
    } catch {
      // A token sealed with another secret cannot be checked: reported as a mismatch.
    }
    if (token === null || integrity === undefined || !checkAccessIntegrity({ ...doc, token }, integrity)) report.accesses.mismatches.push({ userId, accessId: access.id });
  }
}

/** Exit code: 0 all match, 1 mismatches found, 2 the check could not run. */
export async function runIntegrityCheck(config: Readonly<Config>, logger: Logger, out: (line: string) => void): Promise<number> {
  const engine = new PostgresEngine(databaseSettings(config, { create: false }), logger, { poolSize: 1 });
  try {
    const report = await checkEventsIntegrity(new PgEventsStore(engine.pool));
    await checkAccessesIntegrity(new PgAccessesStore(engine.pool), new TokenVault(loadSecrets(config, { create: false }).tokenSecret), report);
    out(JSON.stringify(report, null, 2));
    return report.mismatches.length === 0 && report.accesses.mismatches.length === 0 ? 0 : 1;
  } catch (err) {
    out(JSON.stringify({ error: (err as Error).message }));
    return 2;
  } finally {
    await engine.close();
  }
}
