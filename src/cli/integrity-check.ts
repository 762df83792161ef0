import type { Config } from '../config/index.js';
import { checkEventIntegrity } from '../domain/integrity.js';
import type { Logger } from '../logging/logger.js';
import { createEngine } from '../storage/engine-registry.js';
import type { EventsStore } from '../storage/interfaces/events-store.js';

/**
 * bin/integrity-check: recomputes the `integrity` of every stored event (config `integrity.events`,
 * docs/api.md#integrity) and lists those whose content no longer matches it, e.g. rows edited in
 * the database behind the API. Read-only. Accesses are not checked: their integrity is computed
 * when they are shown, never stored.
 */

export interface IntegrityReport {
  checked: number;
  withIntegrity: number;
  mismatches: { userId: string; eventId: string }[];
}

export async function checkEventsIntegrity(events: EventsStore): Promise<IntegrityReport> {
  const report: IntegrityReport = { checked: 0, withIntegrity: 0, mismatches: [] };
  for await (const { userId, event } of events.scanAll()) {
    report.checked += 1;
    if (event.integrity === undefined) continue;
    report.withIntegrity += 1;
    if (!checkEventIntegrity(event)) report.mismatches.push({ userId, eventId: event.id });
  }
  return report;
}

/** Exit code: 0 all match, 1 mismatches found, 2 the check could not run. */
export async function runIntegrityCheck(config: Readonly<Config>, logger: Logger, out: (line: string) => void): Promise<number> {
  let engine: Awaited<ReturnType<typeof createEngine>> | null = null;
  try {
    engine = await createEngine(config, logger, { poolSize: 1 });
    const report = await checkEventsIntegrity(engine.stores().events);
    out(JSON.stringify(report, null, 2));
    return report.mismatches.length === 0 ? 0 : 1;
  } catch (err) {
    out(JSON.stringify({ error: (err as Error).message }));
    return 2;
  } finally {
    await engine?.close();
  }
}
