import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import type { PgSettings } from '../../../src/storage/engines/postgresql/database-password.js';
import { readMinAppVersion } from '../../../src/storage/engines/postgresql/compat.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { PG_SCHEMA_VERSION } from '../../../src/storage/engines/postgresql/schema.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * Rolling upgrades (issue #13): expand migrations leave older releases serving; a contract migration
 * raises min_app_version and an older release then refuses the database, with the reason. Two
 * releases come from this tree through the test-only TEST_HOMECORE_UPGRADE hook (compat.ts).
 */
const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
const engines: PostgresEngine[] = [];
const drops: (() => Promise<void>)[] = [];
const EXPAND = { version: 9001, name: 'test-expand', sql: 'ALTER TABLE events ADD COLUMN upgrade_note text' };
const CONTRACT = { version: 9002, name: 'test-contract', sql: 'ALTER TABLE events DROP COLUMN upgrade_note', minAppVersion: '0.3.0' };

/** An engine of release `appVersion` (null = this tree) knowing `migration` on top of this tree's. */
function release(settings: PgSettings, hook: object | null): PostgresEngine {
  if (hook === null) delete process.env['TEST_HOMECORE_UPGRADE'];
  else process.env['TEST_HOMECORE_UPGRADE'] = JSON.stringify(hook);
  const e = new PostgresEngine(settings, logger, { poolSize: 2 });
  engines.push(e);
  return e;
}
async function freshDatabase(): Promise<PgSettings> {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drops.push(db.drop);
  return db.settings;
}

afterEach(async () => {
  delete process.env['TEST_HOMECORE_UPGRADE'];
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  for (const drop of drops) await drop();
});

describe('min_app_version guard', () => {
  it('migration 16 records min_app_version 0.0.0: every release can serve it', async () => {
    const s = await freshDatabase();
    const v1 = release(s, null);
    await v1.migrate();
    expect(await readMinAppVersion(v1.pool)).toBe('0.0.0');
    await expect(v1.assertServable()).resolves.toBeUndefined();
  });

  it('a schema behind this release (migrations.autoRun false, bin/migrate not run) is refused', async () => {
    const v1 = release(await freshDatabase(), null);
    await expect(v1.assertServable()).rejects.toThrow(`schema version 0 < required ${PG_SCHEMA_VERSION}: run bin/migrate`);
  });

  it('expand then contract: the old release serves after the expand, refuses after the contract', async () => {
    const s = await freshDatabase();
    await release(s, null).migrate();
    const v2 = release(s, { appVersion: '0.2.0', migration: EXPAND });
    expect(await v2.migrate()).toEqual([9001]);
    expect(await v2.incompatibility()).toBeNull();
    const v1 = release(s, null);
    expect(await v1.incompatibility()).toBeNull();
    expect(await v1.health(2000)).toEqual({ ok: true, detail: 'writable' });

    const v3 = release(s, { appVersion: '0.3.0', migration: CONTRACT });
    expect(await v3.migrate()).toEqual([9002]);
    expect(await readMinAppVersion(v3.pool)).toBe('0.3.0');
    await expect(v3.assertServable()).resolves.toBeUndefined();
    const old = release(s, { appVersion: '0.2.0', migration: EXPAND });
    await expect(old.assertServable()).rejects.toThrow(/this homecore 0\.2\.0 cannot serve this database: its schema needs homecore ≥ 0\.3\.0/);
    // …and a running old process leaves the load balancer: /ready's PostgreSQL check fails.
    const h = await old.health(2000);
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/needs homecore ≥ 0\.3\.0/);
  });

  it('min_app_version is never lowered by a later migration that asks for less', async () => {
    const s = await freshDatabase();
    await release(s, null).migrate();
    await release(s, { appVersion: '0.3.0', migration: { ...CONTRACT, sql: 'SELECT 1' } }).migrate();
    const later = release(s, { appVersion: '0.4.0', migration: { version: 9003, name: 'lower', sql: 'SELECT 1', minAppVersion: '0.1.0' } });
    await later.migrate();
    expect(await readMinAppVersion(later.pool)).toBe('0.3.0');
  });
});
