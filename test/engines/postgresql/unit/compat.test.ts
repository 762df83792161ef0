import { afterEach, describe, expect, it } from 'vitest';
import { appVersion, compareVersions, incompatibility, pgMigrations } from '../../../../src/storage/engines/postgresql/compat.js';
import { PG_MIGRATIONS } from '../../../../src/storage/engines/postgresql/schema.js';

afterEach(() => {
  delete process.env['TEST_HOMECORE_UPGRADE'];
});

describe('compareVersions', () => {
  it.each([
    ['0.1.0', '0.1.0', 0],
    ['0.10.0', '0.9.9', 1],
    ['0.1', '0.1.0', 0],
    ['1.0.0-rc.1', '1.0.0', 0],
    ['0.2.0', '0.10.0', -1],
  ])('%s vs %s → %i', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
  });
});

describe('incompatibility', () => {
  it('none when the schema is at or above the required version and min_app_version is not above this release', () => {
    expect(incompatibility(16, 16, '0.0.0')).toBeNull();
    expect(incompatibility(9001, 16, null)).toBeNull();
  });
  it('a schema behind the release names bin/migrate', () => {
    expect(incompatibility(11, 16, null)).toMatch(/schema version 11 < required 16: run bin\/migrate/);
  });
  it('a min_app_version above this release refuses it, naming both versions', () => {
    expect(incompatibility(9002, 16, '99.0.0')).toMatch(new RegExp(`this homecore ${appVersion().replace(/\./g, '\\.')} cannot serve this database: its schema needs homecore ≥ 99\\.0\\.0`));
  });
});

describe('the test-only upgrade hook', () => {
  it('adds one migration and changes the release version; absent, nothing changes', () => {
    expect(pgMigrations()).toBe(PG_MIGRATIONS);
    process.env['TEST_HOMECORE_UPGRADE'] = JSON.stringify({ appVersion: '7.0.0', migration: { version: 9001, name: 'x', sql: 'SELECT 1' } });
    expect(appVersion()).toBe('7.0.0');
    expect(pgMigrations().map((m) => m.version)).toEqual([...PG_MIGRATIONS.map((m) => m.version), 9001]);
  });
});
