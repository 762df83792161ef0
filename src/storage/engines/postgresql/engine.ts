import type pg from 'pg';
import type { PgSettings } from './database-password.js';
import type { Logger } from '../../../logging/logger.js';
import type { DependencyHealth } from '../../interfaces/storage-engine.js';
import type { UserDataEngine } from '../../interfaces/engine-module.js';
import type { EventsStorePolicy } from '../../interfaces/events-store.js';
import type { Stores } from '../../interfaces/stores.js';
import { createPgStores } from './stores.js';
import { claimDatabase, migratePostgres } from './migrate.js';
import { rebuildDeferredIndexes } from './bulk-import.js';
import { createPgPool } from './pool.js';
import { incompatibility, pgMigrations, readMinAppVersion } from './compat.js';
import type { PgMigration } from './schema.js';

/**
 * Highest applied migration; 0 on a database never migrated. Two statements on purpose: PostgreSQL
 * resolves every table a statement names before running it, so one
 * `CASE WHEN to_regclass(…) IS NULL THEN 0 ELSE (SELECT … FROM schema_migrations) END` failed with
 * "relation does not exist" on a fresh database instead of answering 0.
 */
async function readSchemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (rows[0]?.present !== true) return 0;
  const { rows: max } = await pool.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM schema_migrations');
  return max[0]?.v ?? 0;
}

export class PostgresEngine implements UserDataEngine {
  readonly name = 'postgresql' as const;
  readonly requiredSchemaVersion: number;
  readonly pool: pg.Pool;
  private readonly migrations: readonly PgMigration[];
  /** Health checks get their own connection so a busy main pool cannot fail /ready. */
  private readonly healthPool: pg.Pool;

  constructor(
    settings: PgSettings,
    private readonly logger: Logger,
    options: { poolSize?: number } = {},
  ) {
    this.migrations = pgMigrations();
    this.requiredSchemaVersion = Math.max(0, ...this.migrations.map((m) => m.version));
    this.pool = createPgPool(settings, logger, options.poolSize);
    this.healthPool = createPgPool({ ...settings, connectTimeoutMs: 1000 }, logger, 1);
  }

  stores(eventsPolicy?: EventsStorePolicy): Stores {
    return createPgStores(this.pool, new Map(), eventsPolicy);
  }

  async migrate(): Promise<number[]> {
    const applied = await migratePostgres(this.pool, this.logger, this.migrations);
    // Indexes a killed restore left unbuilt (bulk-import.ts): built now, before the core serves.
    const client = await this.pool.connect();
    try {
      const built = await rebuildDeferredIndexes(client);
      if (built > 0) this.logger.warn({ component: 'storage:pg', built }, 'built the indexes an interrupted restore had deferred');
    } finally {
      client.release();
    }
    return applied;
  }

  /** Why this release cannot serve the database (schema behind, or min_app_version above it), or null. */
  async incompatibility(db: pg.Pool = this.pool): Promise<string | null> {
    return incompatibility(await readSchemaVersion(db), this.requiredSchemaVersion, await readMinAppVersion(db));
  }

  /** Throws the reason this release must not start on the database (the master, bin/migrate status). */
  async assertServable(): Promise<void> {
    const why = await this.incompatibility();
    if (why !== null) throw new Error(`PostgreSQL ${this.pool.options.database ?? ''}: ${why}`);
  }

  minAppVersion(): Promise<string | null> {
    return readMinAppVersion(this.pool);
  }

  schemaVersion(): Promise<number> {
    return readSchemaVersion(this.pool);
  }

  claim(coreId: string): Promise<void> {
    return claimDatabase(this.pool, coreId);
  }

  async health(timeoutMs: number): Promise<DependencyHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DependencyHealth>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    const check = (async (): Promise<DependencyHealth> => {
      const { rows } = await this.healthPool.query<{ ro: string }>(`SELECT current_setting('transaction_read_only') AS ro`);
      const row = rows[0];
      if (row === undefined) return { ok: false, detail: 'empty answer' };
      if (row.ro !== 'off') return { ok: false, detail: 'read-only (standby or read-only transaction mode)' };
      const version = await readSchemaVersion(this.healthPool);
      if (version < this.requiredSchemaVersion) {
        return { ok: false, detail: `schema version ${version} < required ${this.requiredSchemaVersion}` };
      }
      // A contract migration applied by a newer release: this one must leave the load balancer.
      const why = incompatibility(version, this.requiredSchemaVersion, await readMinAppVersion(this.healthPool));
      if (why !== null) return { ok: false, detail: why };
      return { ok: true, detail: 'writable' };
    })().catch((err: Error) => ({ ok: false, detail: err.message }));
    try {
      return await Promise.race([check, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private closing: Promise<void> | null = null;

  /** Idempotent: a worker's SIGTERM path and fastify's onClose may both close it (pg throws on a second end()). */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.pool.end(), this.healthPool.end()]).then(() => undefined);
    return this.closing;
  }
}
