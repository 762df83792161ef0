import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { migratePostgres } from '../../../src/storage/engines/postgresql/migrate.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../../src/storage/engines/postgresql/schema.js';
import { freePort } from '../../helpers/free-port.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

type PgSettings = Config['storages']['postgresql'];

const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
const engines: PostgresEngine[] = [];
const drops: (() => Promise<void>)[] = [];

function engine(settings: PgSettings): PostgresEngine {
  const e = new PostgresEngine(settings, logger, { poolSize: 2 });
  engines.push(e);
  return e;
}
async function freshDatabase(): Promise<PgSettings> {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drops.push(db.drop);
  return db.settings;
}
async function asAdmin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const a = services.pgAdmin;
  const c = new pg.Client({ host: a.host, port: a.port, user: a.user, password: a.password, database });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  for (const drop of drops) await drop();
});

describe('PostgresEngine migrations', () => {
  let settings: PgSettings;
  beforeAll(async () => {
    settings = await freshDatabase();
  });

  it('starts at schema version 0 and migrates once', async () => {
    const e = engine(settings);
    expect(await e.schemaVersion()).toBe(0);
    expect(await e.migrate()).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect(await e.schemaVersion()).toBe(PG_SCHEMA_VERSION);
    expect(e.requiredSchemaVersion).toBe(PG_SCHEMA_VERSION);
    expect(await e.migrate()).toEqual([]);
    // a fresh engine (another process) finds nothing to do either
    expect(await engine(settings).migrate()).toEqual([]);
    const { rows } = await e.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });

  it('the tables belong to the app role, not the superuser', async () => {
    const { rows } = await engine(settings).pool.query<{ owner: string }>(
      "SELECT tableowner AS owner FROM pg_tables WHERE tablename IN ('schema_migrations', 'core_info')",
    );
    expect(rows.map((r) => r.owner)).toEqual([services.pg.user, services.pg.user]);
  });
});

describe('PostgresEngine concurrent migrate (advisory lock)', () => {
  it('two engines migrating one database at once apply each version once', async () => {
    const settings = await freshDatabase();
    const [a, b, c] = [engine(settings), engine(settings), engine(settings)];
    const results = await Promise.all([a.migrate(), b.migrate(), c.migrate()]);
    expect(results.flat()).toEqual(PG_MIGRATIONS.map((m) => m.version));
    const { rows } = await a.pool.query<{ version: number; n: string }>('SELECT version, count(*) AS n FROM schema_migrations GROUP BY version');
    expect(rows.every((r) => r.n === '1')).toBe(true);
    // the lock was released: nobody holds it afterwards
    const locks = await a.pool.query(
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(locks.rowCount).toBe(0);
  });
});

describe('PostgresEngine.claim', () => {
  it('the first core claims the database; another core is refused; the owner may claim again', async () => {
    const settings = await freshDatabase();
    const a = engine(settings);
    await a.migrate();
    await a.claim('core-a');
    await a.claim('core-a');
    await expect(engine(settings).claim('core-b')).rejects.toThrow(/belongs to core "core-a", not "core-b"/);
    // the refusal changed nothing
    const { rows } = await a.pool.query<{ v: string }>("SELECT value #>> '{}' AS v FROM core_info WHERE key = 'core_id'");
    expect(rows).toEqual([{ v: 'core-a' }]);
  });

  it('two cores claiming at once: exactly one wins', async () => {
    const settings = await freshDatabase();
    await engine(settings).migrate();
    const outcomes = await Promise.allSettled(['core-x', 'core-y', 'core-z'].map((id) => engine(settings).claim(id)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('PostgresEngine.health', () => {
  it('is ok and writable once migrated; not ok before', async () => {
    const settings = await freshDatabase();
    const e = engine(settings);
    expect(await e.health(2000)).toEqual({ ok: false, detail: `schema version 0 < required ${PG_SCHEMA_VERSION}` });
    await e.migrate();
    expect(await e.health(2000)).toEqual({ ok: true, detail: 'writable' });
  });

  it('reports a read-only database', async () => {
    const settings = await freshDatabase();
    await engine(settings).migrate();
    await asAdmin('postgres', (c) => c.query(`ALTER DATABASE ${c.escapeIdentifier(settings.database)} SET default_transaction_read_only = on`));
    const h = await engine(settings).health(2000); // new connections pick up the setting
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/read-only/);
  });

  it('answers ok:false quickly when nothing listens', async () => {
    const port = await freePort();
    const e = engine({ ...services.pg, port });
    const timeout = 1000;
    const started = Date.now();
    const h = await e.health(timeout);
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(timeout + 300);
  });

  it('answers ok:false within its timeout when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const e = engine({ ...services.pg, port });
      const timeout = 400;
      const started = Date.now();
      const h = await e.health(timeout);
      const elapsed = Date.now() - started;
      expect(h).toEqual({ ok: false, detail: `no answer within ${timeout} ms` });
      expect(elapsed).toBeGreaterThanOrEqual(timeout - 20);
      expect(elapsed).toBeLessThan(timeout + 300);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('PostgresEngine migrations written in parallel', () => {
  it('a version merged after a higher one already applied is still applied', async () => {
    const settings = await freshDatabase();
    const e = engine(settings);
    // A database migrated while version 6 did not exist yet (7 landed first).
    const without6 = PG_MIGRATIONS.filter((m) => m.version !== 6);
    expect(await migratePostgres(e.pool, logger, without6)).toEqual(without6.map((m) => m.version));
    expect(await e.migrate()).toEqual([6]);
    expect(await e.migrate()).toEqual([]);
  });
});
