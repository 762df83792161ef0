import type pg from 'pg';
import type { Config } from '../../../config/index.js';
import type { Logger } from '../../../logging/logger.js';
import type { DependencyHealth, StorageEngine } from '../../interfaces/storage-engine.js';
import { claimDatabase, migratePostgres } from './migrate.js';
import { createPgPool } from './pool.js';
import { PG_SCHEMA_VERSION } from './schema.js';

export class PostgresEngine implements StorageEngine {
  readonly name = 'postgresql' as const;
  readonly requiredSchemaVersion = PG_SCHEMA_VERSION;
  readonly pool: pg.Pool;
  /** Health checks get their own connection so a busy main pool cannot fail /ready. */
  private readonly healthPool: pg.Pool;

  constructor(
    settings: Config['storages']['postgresql'],
    private readonly logger: Logger,
    options: { poolSize?: number } = {},
  ) {
    this.pool = createPgPool(settings, logger, options.poolSize);
    this.healthPool = createPgPool({ ...settings, connectTimeoutMs: 1000 }, logger, 1);
  }

  migrate(): Promise<number[]> {
    return migratePostgres(this.pool, this.logger);
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number | null }>(
      `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
              ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END AS v`,
    );
    return rows[0]?.v ?? 0;
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
      const { rows } = await this.healthPool.query<{ ro: string; v: number }>(
        `SELECT current_setting('transaction_read_only') AS ro,
                CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
                ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END AS v`,
      );
      const row = rows[0];
      if (row === undefined) return { ok: false, detail: 'empty answer' };
      if (row.ro !== 'off') return { ok: false, detail: 'read-only (standby or read-only transaction mode)' };
      if (row.v < this.requiredSchemaVersion) {
        return { ok: false, detail: `schema version ${row.v} < required ${this.requiredSchemaVersion}` };
      }
      return { ok: true, detail: 'writable' };
    })().catch((err: Error) => ({ ok: false, detail: err.message }));
    try {
      return await Promise.race([check, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.healthPool.end()]);
  }
}
