import pg from 'pg';
import type { PgSettings } from './database-password.js';
import type { Logger } from '../../../logging/logger.js';
import { failoverClientClass } from './failover-client.js';
import { PrimaryLocator } from './primary-locator.js';

export type PgPool = pg.Pool;

/**
 * One pool per process; statement_timeout set server-side so a runaway query cannot pin a connection.
 * Its connections go only to a writable primary among `hosts` (failover-client.ts), and follow a
 * promoted replica after a failover (docs/operations.md#postgresql-failover).
 */
export function createPgPool(settings: PgSettings, logger: Logger, max?: number): pg.Pool {
  const log = logger.child({ component: 'storage:pg' });
  const locator = new PrimaryLocator(settings, logger);
  const first = locator.hosts[0] ?? { host: settings.host, port: settings.port };
  const pool = new pg.Pool({
    Client: failoverClientClass(locator),
    host: first.host,
    port: first.port,
    database: settings.database,
    user: settings.user,
    password: settings.password,
    max: max ?? settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: settings.statementTimeoutMs === 0 ? undefined : settings.statementTimeoutMs,
    application_name: 'homecore',
    // No parallel query: API statements return a page of rows, and on a loaded core a Gather's
    // worker start-up (~5–10 ms) costs more than it saves. A misestimated subquery (the time-range
    // bound of events-store.ts) went from 0.3 ms to 12 ms with it.
    options: '-c max_parallel_workers_per_gather=0',
  });
  // An idle client losing its server connection emits here; without a listener the process dies.
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection failed'));
  return pool;
}
