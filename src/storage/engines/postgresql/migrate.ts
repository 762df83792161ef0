import type pg from 'pg';
import type { Logger } from '../../../logging/logger.js';
import { raiseMinAppVersion } from './compat.js';
import { PG_MIGRATIONS, type PgMigration } from './schema.js';

/** Key of the session-level advisory lock that serialises migrations across processes and clones. */
const MIGRATION_LOCK_KEY = 0x686f6d65; // "home"

/**
 * Applies pending migrations once: the first process takes `pg_advisory_lock`, others wait for it and
 * then find nothing to do. Each migration commits together with its version row.
 */
export async function migratePostgres(
  pool: pg.Pool,
  logger: Logger,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<number[]> {
  const log = logger.child({ component: 'storage:pg:migrate' });
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    // Every version not applied yet, not only those above the highest: migrations written in parallel
    // may land out of order (7 merged before 6), and a database already at 7 must still get 6.
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version).filter((x) => !done.has(x.version))) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await raiseMinAppVersion(client, m);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.version);
      log.info({ version: m.version, name: m.name }, 'PostgreSQL migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** Claims the database for a core, or refuses when it already belongs to another one. */
export async function claimDatabase(pool: pg.Pool, coreId: string): Promise<void> {
  await pool.query(
    `INSERT INTO core_info (key, value) VALUES ('core_id', to_jsonb($1::text)) ON CONFLICT (key) DO NOTHING`,
    [coreId],
  );
  const { rows } = await pool.query<{ value: string }>(`SELECT value #>> '{}' AS value FROM core_info WHERE key = 'core_id'`);
  const owner = rows[0]?.value;
  if (owner !== coreId) {
    throw new Error(`PostgreSQL database belongs to core "${owner ?? '?'}", not "${coreId}": refusing to start`);
  }
}
