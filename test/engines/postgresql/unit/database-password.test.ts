import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/index.js';
import { databaseSettings } from '../../../../src/storage/engines/postgresql/database-password.js';

/** Issue #16, hole 5: no database password shipped in config; the embedded server's is generated. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const varDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'homecore-secrets-'));
  dirs.push(d);
  return d;
};

describe('databaseSettings', () => {
  it('generates the embedded server password at first start (0600), then reads the same one', () => {
    const dir = varDir();
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: dir } });
    expect(config.storages.postgresql.password).toBeNull();
    expect(() => databaseSettings(config, { create: false })).toThrow(/missing/);
    const first = databaseSettings(config, { create: true });
    expect(first.password.length).toBeGreaterThanOrEqual(40);
    const file = join(dir, 'secrets', 'postgresql-password');
    expect(readFileSync(file, 'utf8')).toBe(first.password);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(databaseSettings(config, { create: false }).password).toBe(first.password);
    // Another core (another var dir) gets another password.
    expect(databaseSettings(loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir() } }), { create: true }).password).not.toBe(first.password);
  });

  it('takes a configured password as is (external server), generating nothing', () => {
    const dir = varDir();
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: dir, HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false', HOMECORE_STORAGES__POSTGRESQL__PASSWORD: 'from-config' } });
    expect(databaseSettings(config, { create: true }).password).toBe('from-config');
    expect(() => statSync(join(dir, 'secrets', 'postgresql-password'))).toThrow();
  });
});
