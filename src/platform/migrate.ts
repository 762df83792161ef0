import type { Logger } from '../logging/logger.js';
import { sleep } from '../util/backoff.js';
import type { RqliteClient } from './rqlite-client.js';
import { PLATFORM_MIGRATIONS, type PlatformMigration } from './schema.js';

const BOOTSTRAP = [
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL, applied_by TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS migration_lock (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, expires_at INTEGER NOT NULL)',
];

export interface MigrateOptions {
  owner: string;
  logger: Logger;
  /** A lock older than this is considered abandoned (its owner died). */
  lockTtlMs?: number;
  /** How long to wait for another core's migration to finish. */
  waitMs?: number;
  migrations?: readonly PlatformMigration[];
}

export async function platformSchemaVersion(client: RqliteClient): Promise<number> {
  const rows = await client.queryRows('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations', [], 'linearizable');
  return Number(rows[0]?.['v'] ?? 0);
}

/**
 * Applies pending platform migrations once across all cores: a lock row taken with an atomic
 * INSERT … ON CONFLICT DO NOTHING (Raft-linearized compare-and-set), each migration applied in one
 * rqlite transaction together with its version row.
 */
export async function migratePlatform(client: RqliteClient, options: MigrateOptions): Promise<number[]> {
  const migrations = options.migrations ?? PLATFORM_MIGRATIONS;
  const lockTtlMs = options.lockTtlMs ?? 60_000;
  const log = options.logger.child({ component: 'platform:migrate' });
  await client.execute(BOOTSTRAP, { transaction: true, idempotent: true });

  const deadline = Date.now() + (options.waitMs ?? 120_000);
  for (;;) {
    const now = Date.now();
    const [, taken] = await client.execute(
      [
        ['DELETE FROM migration_lock WHERE expires_at < ?', now],
        ['INSERT INTO migration_lock (id, owner, expires_at) VALUES (1, ?, ?) ON CONFLICT DO NOTHING', options.owner, now + lockTtlMs],
      ],
      { transaction: true },
    );
    if (taken?.rows_affected === 1) break;
    if (Date.now() > deadline) throw new Error('platform migrations: lock held by another core for too long');
    log.info('platform migration lock held elsewhere; waiting');
    await sleep(500);
  }

  const applied: number[] = [];
  try {
    const current = await platformSchemaVersion(client);
    for (const m of migrations.filter((x) => x.version > current)) {
      await client.execute(
        [...m.statements, ['INSERT INTO schema_migrations (version, name, applied_at, applied_by) VALUES (?, ?, ?, ?)', m.version, m.name, Date.now(), options.owner]],
        { transaction: true },
      );
      applied.push(m.version);
      log.info({ version: m.version, name: m.name }, 'platform migration applied');
    }
  } finally {
    await client.execute([['DELETE FROM migration_lock WHERE owner = ?', options.owner]], { idempotent: true });
  }
  return applied;
}
