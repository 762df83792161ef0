import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { CoresRepository } from '../../src/platform/cores.js';
import { PlatformDbStatementError } from '../../src/platform/errors.js';
import { migratePlatform, platformSchemaVersion } from '../../src/platform/migrate.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { PLATFORM_MIGRATIONS, PLATFORM_SCHEMA_VERSION } from '../../src/platform/schema.js';

/**
 * Platform migrations against the real rqlited. The rqlited is shared by every integration file (run one
 * at a time), so each test starts from a wiped platform schema, and the file leaves it migrated.
 */
const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
const clients: RqliteClient[] = [];
const newClient = (): RqliteClient => {
  const c = new RqliteClient({ url: services.rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 5000, logger });
  clients.push(c);
  return c;
};
let client: RqliteClient;

const SCHEMA_TABLES = ['cache_epochs', 'cluster_nodes', 'core_instances', 'cores', 'invitations', 'join_tokens', 'request_states', 'unique_fields', 'users'];

async function wipePlatformSchema(): Promise<void> {
  // children before parents: rqlited runs with foreign keys on
  const tables = ['cache_epochs', 'join_tokens', 'cluster_nodes', 'request_states', 'invitations', 'unique_fields', 'users', 'core_instances', 'cores', 'schema_migrations', 'migration_lock'];
  await client.execute(tables.map((t) => `DROP TABLE IF EXISTS ${t}`), { transaction: true, idempotent: true });
}

async function tables(): Promise<string[]> {
  const rows = await client.queryRows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", [], 'linearizable');
  return rows.map((r) => String(r['name']));
}

async function migrationRows(): Promise<{ version: number; applied_by: string }[]> {
  const rows = await client.queryRows('SELECT version, applied_by FROM schema_migrations ORDER BY version', [], 'linearizable');
  return rows.map((r) => ({ version: Number(r['version']), applied_by: String(r['applied_by']) }));
}

beforeAll(() => {
  client = newClient();
});
beforeEach(wipePlatformSchema);
afterAll(async () => {
  await wipePlatformSchema();
  await migratePlatform(client, { owner: 'platform-migrate-test', logger });
  await Promise.all(clients.map((c) => c.close()));
});

describe('migratePlatform', () => {
  it('applies every migration once, recording who applied it', async () => {
    expect(await migratePlatform(client, { owner: 'core-a', logger })).toEqual(PLATFORM_MIGRATIONS.map((m) => m.version));
    expect(await platformSchemaVersion(client)).toBe(PLATFORM_SCHEMA_VERSION);
    expect(await migrationRows()).toEqual(PLATFORM_MIGRATIONS.map((m) => ({ version: m.version, applied_by: 'core-a' })));
  });

  it('a second run applies nothing and leaves no lock behind', async () => {
    await migratePlatform(client, { owner: 'core-a', logger });
    expect(await migratePlatform(client, { owner: 'core-b', logger })).toEqual([]);
    expect((await migrationRows()).map((r) => r.applied_by)).toEqual(PLATFORM_MIGRATIONS.map(() => 'core-a'));
    expect(await client.queryRows('SELECT owner FROM migration_lock', [], 'linearizable')).toEqual([]);
  });

  it('creates the platform schema', async () => {
    await migratePlatform(client, { owner: 'core-a', logger });
    const names = await tables();
    for (const t of SCHEMA_TABLES) expect(names).toContain(t);
    const cols = await client.queryRows("SELECT name FROM pragma_table_info('users') ORDER BY cid", [], 'linearizable');
    expect(cols.map((c) => c['name'])).toEqual(['username', 'core_id', 'created_at', 'reg_id', 'pending']);
  });

  it('two cores migrating at once: each version is applied exactly once', async () => {
    const [a, b] = await Promise.all([
      migratePlatform(newClient(), { owner: 'core-a', logger }),
      migratePlatform(newClient(), { owner: 'core-b', logger }),
    ]);
    expect([...a, ...b].sort()).toEqual(PLATFORM_MIGRATIONS.map((m) => m.version));
    const rows = await migrationRows();
    expect(rows.map((r) => r.version)).toEqual(PLATFORM_MIGRATIONS.map((m) => m.version));
    expect(await client.queryRows('SELECT owner FROM migration_lock', [], 'linearizable')).toEqual([]);
  });

  it('four concurrent runs with extra migrations still apply each version once', async () => {
    const extra = [
      ...PLATFORM_MIGRATIONS,
      // not idempotent on purpose: a second application would fail with "already exists"
      { version: 1001, name: 'test-extra-1', statements: ['CREATE TABLE test_extra_1 (id INTEGER PRIMARY KEY)'] },
      { version: 1002, name: 'test-extra-2', statements: ['CREATE TABLE test_extra_2 (id INTEGER PRIMARY KEY)'] },
    ];
    try {
      const runs = await Promise.all(['w', 'x', 'y', 'z'].map((o) => migratePlatform(newClient(), { owner: `core-${o}`, logger, migrations: extra })));
      expect(runs.flat().sort((p, q) => p - q)).toEqual(extra.map((m) => m.version));
      expect((await migrationRows()).map((r) => r.version)).toEqual(extra.map((m) => m.version));
      // all versions were applied by a single lock holder, in one go
      expect(new Set((await migrationRows()).map((r) => r.applied_by)).size).toBe(1);
    } finally {
      await client.execute(['DROP TABLE IF EXISTS test_extra_1', 'DROP TABLE IF EXISTS test_extra_2'], { idempotent: true });
    }
  });

  it('an expired lock left by a dead core does not block', async () => {
    await migratePlatform(client, { owner: 'bootstrap', logger, migrations: [] }); // creates the bookkeeping tables only
    await client.execute([['INSERT INTO migration_lock (id, owner, expires_at) VALUES (1, ?, ?)', 'dead-core', Date.now() - 1000]]);
    const started = Date.now();
    expect(await migratePlatform(client, { owner: 'core-a', logger, waitMs: 5000 })).toEqual(PLATFORM_MIGRATIONS.map((m) => m.version));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await client.queryRows('SELECT owner FROM migration_lock', [], 'linearizable')).toEqual([]);
  });

  it('a live lock held by another core blocks until waitMs, then fails without migrating', async () => {
    await migratePlatform(client, { owner: 'bootstrap', logger, migrations: [] });
    await client.execute([['INSERT INTO migration_lock (id, owner, expires_at) VALUES (1, ?, ?)', 'busy-core', Date.now() + 60_000]]);
    const started = Date.now();
    await expect(migratePlatform(client, { owner: 'core-a', logger, waitMs: 700 })).rejects.toThrow(/lock held/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(await platformSchemaVersion(client)).toBe(0);
    // the other core's lock is untouched
    expect(await client.queryRows('SELECT owner FROM migration_lock', [], 'linearizable')).toEqual([{ owner: 'busy-core' }]);
  });

  it('a failing migration is rolled back with its version row and releases the lock', async () => {
    const broken = [
      ...PLATFORM_MIGRATIONS,
      { version: 2001, name: 'test-broken', statements: ['CREATE TABLE test_broken (id INTEGER PRIMARY KEY)', 'INSERT INTO no_such_table VALUES (1)'] },
    ];
    await expect(migratePlatform(client, { owner: 'core-a', logger, migrations: broken })).rejects.toBeInstanceOf(PlatformDbStatementError);
    expect(await platformSchemaVersion(client)).toBe(PLATFORM_SCHEMA_VERSION);
    expect(await tables()).not.toContain('test_broken');
    expect(await client.queryRows('SELECT owner FROM migration_lock', [], 'linearizable')).toEqual([]);
  });
});

describe('CoresRepository', () => {
  it('upsert registers a core, then refreshes url/hosting/available/zone and keeps user_count', async () => {
    await migratePlatform(client, { owner: 'core-a', logger });
    const cores = new CoresRepository(client);
    await cores.upsert({ id: 'core-1', url: 'https://c1.example.com/', hosting: 'eu', available: true });
    await cores.upsert({ id: 'core-2', url: 'https://c2.example.com/', hosting: 'us', available: true });
    expect(await cores.list()).toEqual([
      { id: 'core-1', url: 'https://c1.example.com/', hosting: 'eu', available: true, userCount: 0, ip: null, zone: null, region: null, hostingName: null },
      { id: 'core-2', url: 'https://c2.example.com/', hosting: 'us', available: true, userCount: 0, ip: null, zone: null, region: null, hostingName: null },
    ]);

    await client.execute([['UPDATE cores SET user_count = ? WHERE id = ?', 7, 'core-1']]);
    await cores.upsert({ id: 'core-1', url: 'https://c1-new.example.com/', hosting: 'eu-2', available: false, zone: 'ch', region: 'europe', hostingName: 'EU 2' });
    expect(await cores.list()).toEqual([
      { id: 'core-1', url: 'https://c1-new.example.com/', hosting: 'eu-2', available: false, userCount: 7, ip: null, zone: 'ch', region: 'europe', hostingName: 'EU 2' },
      { id: 'core-2', url: 'https://c2.example.com/', hosting: 'us', available: true, userCount: 0, ip: null, zone: null, region: null, hostingName: null },
    ]);
  });

  it('users reference an existing core (foreign keys are on)', async () => {
    await migratePlatform(client, { owner: 'core-a', logger });
    const err = await client.execute([['INSERT INTO users (username, core_id, created_at) VALUES (?, ?, ?)', 'alice', 'no-such-core', 1]]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformDbStatementError);
    expect(String((err as Error).message)).toMatch(/FOREIGN KEY/);
  });
});
