import type { Config } from '../config/index.js';
import { checkAccessIntegrity, checkEventIntegrity } from '../domain/integrity.js';
import { toVersionDoc } from '../api/accesses/shared.js';
import { TokenVault } from '../auth/crypto.js';
import { loadSecrets } from '../secrets/core-secrets.js';
import type { Logger } from '../logging/logger.js';
import { createEngine } from '../storage/engine-registry.js';
import type { EventsStore } from '../storage/interfaces/events-store.js';
import type { StoredAccess } from '../storage/interfaces/accesses-store.js';
import type { Stores } from '../storage/interfaces/stores.js';

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
export async function checkAccessesIntegrity(stores: Pick<Stores, 'users' | 'accesses'>, vault: TokenVault, report: IntegrityReport): Promise<void> {
  // Through the storage interface (any engine): user by user, deleted accesses included.
  const all = async function* (): AsyncIterable<{ userId: string; access: StoredAccess }> {
    for (const user of await stores.users.list()) {
      for (const access of await stores.accesses.list(user.id, { includeDeletions: true })) {
        if (access.integrity !== undefined && access.integrity !== null) yield { userId: user.id, access };
      }
    }
  };
  for await (const { userId, access } of all()) {
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
  let engine: Awaited<ReturnType<typeof createEngine>> | null = null;
  try {
    engine = await createEngine(config, logger, { poolSize: 1 });
    const stores = engine.stores();
    const report = await checkEventsIntegrity(stores.events);
    await checkAccessesIntegrity(stores, new TokenVault(loadSecrets(config, { create: false }).keys), report);
    out(JSON.stringify(report, null, 2));
    return report.mismatches.length === 0 && report.accesses.mismatches.length === 0 ? 0 : 1;
  } catch (err) {
    out(JSON.stringify({ error: (err as Error).message }));
    return 2;
  } finally {
    await engine?.close();
  }
}
