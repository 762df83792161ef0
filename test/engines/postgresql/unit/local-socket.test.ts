import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config/index.js';
import { databaseSettings } from '../../../../src/storage/engines/postgresql/database-password.js';
import { viaLocalSocket } from '../../../../src/storage/engines/postgresql/local-socket.js';

/** Issue #10: workers reach the embedded PostgreSQL over its Unix socket, in its data dir. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(env: Record<string, string>, socket: boolean, base = tmpdir()): { dir: string; settings: ReturnType<typeof viaLocalSocket>; config: ReturnType<typeof loadConfig> } {
  const dir = mkdtempSync(join(base, 'homecore-sock-'));
  dirs.push(dir);
  const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: dir, HOMECORE_STORAGES__POSTGRESQL__PORT: '5999', ...env } });
  mkdirSync(join(dir, 'postgresql'));
  // What PostgreSQL creates there: only whether this process may open it matters.
  if (socket) writeFileSync(join(dir, 'postgresql', '.s.PGSQL.5999'), '');
  return { dir, config, settings: databaseSettings(config, { create: true }) };
}

describe('viaLocalSocket', () => {
  it('embedded, socket present: the data dir as host (node-postgres: a directory = a Unix socket)', () => {
    const { dir, config, settings } = setup({}, true);
    expect(viaLocalSocket(config, settings)).toEqual({ ...settings, host: join(dir, 'postgresql') });
  });

  it('embedded, server not started yet (workers fork while it starts): the socket all the same', () => {
    const { dir, config, settings } = setup({}, false);
    expect(viaLocalSocket(config, settings)).toEqual({ ...settings, host: join(dir, 'postgresql') });
    // A first start: not even the data dir yet.
    rmSync(join(dir, 'postgresql'), { recursive: true });
    expect(viaLocalSocket(config, settings)).toEqual({ ...settings, host: join(dir, 'postgresql') });
  });

  it('an external server (failover hosts need one): TCP as configured', () => {
    const ext = setup({ HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false', HOMECORE_STORAGES__POSTGRESQL__PASSWORD: '"pw-0123456789"' }, true);
    expect(viaLocalSocket(ext.config, ext.settings)).toBe(ext.settings);
  });

  it('a socket path longer than a Unix socket allows: TCP', () => {
    const long = join(tmpdir(), `homecore-long-${'x'.repeat(90)}`);
    mkdirSync(long, { recursive: true });
    dirs.push(long);
    const { config, settings } = setup({}, true, long);
    expect(viaLocalSocket(config, settings)).toBe(settings);
  });
});
