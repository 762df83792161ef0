import { AggregatorRegistry } from 'prom-client';
import type { Services } from '../api/context.js';
import type { Readiness } from '../health/readiness.js';
import type { StorageEngine } from '../storage/interfaces/storage-engine.js';

/**
 * The gauges of one worker (docs/operations.md#metrics) and its answer to the master's scrapes:
 * prom-client's cluster listener (installed by the AggregatorRegistry constructor) answers with
 * this worker's registry.
 */
export function exposeWorkerMetrics(services: Services, engine: StorageEngine, readiness: Readiness): void {
  const m = services.metrics;
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([m.registry]);
  const help = 'User-data database pool connections of the workers, by state (summed).';
  m.gauge('homecore_db_pool_connections', help, 'sum', () => engine.poolStats().total, { state: 'total' });
  m.gauge('homecore_db_pool_connections', help, 'sum', () => engine.poolStats().idle, { state: 'idle' });
  m.gauge('homecore_db_pool_connections', help, 'sum', () => engine.poolStats().waiting, { state: 'waiting' });
  // The /ready checks (cached ≤ health.cacheMs): the lowest value across workers, so one failing worker shows.
  const up = 'Readiness checks of the workers (the user-data engine, platformDb = rqlite, audit, draining, workers): 1 ok, 0 failing (min over workers).';
  for (const check of [engine.name, 'platformDb', 'audit', 'draining', 'workers']) {
    m.gauge('homecore_check_up', up, 'min', async () => {
      const c = (await readiness.report()).checks[check];
      return c === undefined ? undefined : c.ok ? 1 : 0;
    }, { check });
  }
  const audit = services.audit;
  if (audit !== null) {
    m.gauge('homecore_audit_buffered_lines', 'Audit lines waiting in the workers\' buffers (summed).', 'sum', () => audit.pendingLines);
    m.gauge('homecore_audit_dropped_lines', 'Audit lines dropped since start because the path stayed unwritable (summed).', 'sum', () => audit.dropped);
  }
}
