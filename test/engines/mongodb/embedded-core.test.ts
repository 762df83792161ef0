import { afterEach, describe, expect, it } from 'vitest';
import { boundPorts, isRunning, startCore, type CoreProcess } from '../../helpers/core-process.js';
import { freePort } from '../../helpers/free-port.js';

/**
 * `HOMECORE_STORAGES__ENGINE=mongodb bin/start`: the master runs FerretDB as its engine's sidecar
 * (no PostgreSQL), the core serves, and a SIGTERM stops FerretDB with the rest (docs/mongodb.md).
 * Needs a build (`tsc -p tsconfig.json`) and bin/install-ferretdb (bin/test runs both).
 */

interface ReadyBody { status: string; checks: Record<string, { ok: boolean; detail: string }> }

const cores: CoreProcess[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.kill();
});

describe('a core on the mongodb engine with no url', () => {
  it('runs the embedded FerretDB on loopback, serves on it, and stops it on SIGTERM', { timeout: 120_000 }, async () => {
    const [port, debugPort] = [await freePort(), await freePort()];
    // embeddedPg: no shared-server PostgreSQL database is made for it (nor used).
    const c = await startCore({
      embeddedPg: true,
      env: {
        HOMECORE_STORAGES__ENGINE: 'mongodb',
        HOMECORE_STORAGES__MONGODB__FERRETDB__PORT: String(port),
        HOMECORE_STORAGES__MONGODB__FERRETDB__DEBUG_PORT: String(debugPort),
        HOMECORE_CLUSTER__DRAIN_MS: '200',
      },
      // As startPublicCore: the core registers under its own API address (placement answers with it).
      envFor: (ports) => ({ HOMECORE_PLATFORM__PUBLIC_URL: `http://127.0.0.1:${ports.api}/`, HOMECORE_SERVICE__HOME: `http://127.0.0.1:${ports.api}/` }),
    });
    cores.push(c);
    await c.waitReady(90_000);
    // One /ready answer may find FerretDB slower than the check's 500 ms on a loaded machine: the
    // check must come back writable, not every answer be.
    let ready = (await c.status(c.ports.api, '/ready')).body as ReadyBody;
    for (const until = Date.now() + 30_000; ready.checks['mongodb']?.ok !== true && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 500));
      ready = (await c.status(c.ports.api, '/ready')).body as ReadyBody;
    }
    expect(ready.checks['mongodb'], c.tail()).toEqual({ ok: true, detail: 'writable' });
    expect(ready.checks['postgresql']).toBeUndefined();
    expect(c.postgresPid()).toBeNull();
    const ferretdb = c.ferretdbPid();
    expect(ferretdb, c.tail()).not.toBeNull();
    expect(await boundPorts([port, debugPort])).toEqual([port, debugPort]);
    expect(c.logs.some((l) => /MongoDB migration applied/.test(l)), c.tail()).toBe(true);

    // The API on it: a registration writes the user and their streams and accesses to FerretDB.
    const username = `mongo${Date.now().toString(36)}`;
    const reg = await fetch(`${c.urls.api}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: 'test-app', username, password: 'a-good-password', email: `${username}@example.test`, hosting: 'default', language: 'en' }),
    });
    expect(reg.status, await reg.clone().text()).toBe(201);

    const tree = c.treePids();
    expect(tree).toContain(ferretdb);
    c.signal('SIGTERM');
    expect(await c.waitExit(30_000)).toBe(0);
    expect(tree.filter(isRunning), c.tail()).toEqual([]);
    expect(await boundPorts([port, debugPort])).toEqual([]);
  });
});
