import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sleep } from '../../src/util/backoff.js';
import { startCore, type CoreProcess } from '../helpers/core-process.js';
import { createEvent, eventId, haUser, readEvent, type HaUser } from './ha-client.js';

/**
 * Issue #13, rolling upgrade: two cores of this tree (v1) serve one PostgreSQL and one platform DB;
 * the client alternates between the cores in rotation, as a load balancer does (a core leaves the
 * rotation before it is stopped and comes back once /ready is 200; HAProxy itself is ha-clones').
 * Each core in turn is stopped and restarted as v2 (this tree plus one expand migration, through the
 * test-only TEST_HOMECORE_UPGRADE hook), bin/migrate having applied v2's migration while v1 served.
 * No request may fail. Then a contract migration (min_app_version 0.3.0) makes a v1 core refuse to
 * start, with the reason, and takes a running v2 core out of /ready.
 */
const exec = promisify(execFile);
const V2 = JSON.stringify({ appVersion: '0.2.0', migration: { version: 9001, name: 'test-expand', sql: 'ALTER TABLE events ADD COLUMN upgrade_note text' } });
const V3 = JSON.stringify({ appVersion: '0.3.0', migration: { version: 9002, name: 'test-contract', sql: 'ALTER TABLE events DROP COLUMN upgrade_note', minAppVersion: '0.3.0' } });
const HOSTING = `ha-${randomBytes(3).toString('hex')}`;
const SECRET = randomBytes(24).toString('hex');
const cores: CoreProcess[] = [];

afterAll(async () => {
  for (const c of cores.reverse()) await c.kill().catch(() => undefined);
});

function common(dbEnv: Record<string, string>, autoRun: boolean, version: string | null): Record<string, string> {
  return {
    ...dbEnv,
    HOMECORE_MIGRATIONS__AUTO_RUN: String(autoRun),
    HOMECORE_PLATFORM_DB__RQLITED__EXTERNAL: 'true',
    HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: new URL(inject('services').rqliteUrl).port,
    HOMECORE_REGISTRATION__HOSTING: HOSTING,
    // Clones share their secrets (a token made on one is checked on the other).
    HOMECORE_AUTH__TOKEN_SECRET: SECRET,
    HOMECORE_AUTH__ADMIN_ACCESS_KEY: `admin-${SECRET}`,
    HOMECORE_CLUSTER__API_WORKERS: '1',
    HOMECORE_CLUSTER__HFS_WORKERS: '0',
    HOMECORE_CLUSTER__PREVIEWS_WORKER: 'false',
    ...(version === null ? {} : { TEST_HOMECORE_UPGRADE: version }),
  };
}

async function start(env: Record<string, string>, takeOver?: CoreProcess): Promise<CoreProcess> {
  const core = await startCore({
    env,
    ...(takeOver === undefined ? {} : { takeOver }),
    envFor: (ports) => ({ HOMECORE_PLATFORM__PUBLIC_URL: `http://127.0.0.1:${ports.api}/`, HOMECORE_SERVICE__HOME: `http://127.0.0.1:${ports.api}/` }),
  });
  cores.push(core);
  return core;
}
const url = (c: CoreProcess): string => `http://127.0.0.1:${c.ports.api}/`;

describe('rolling upgrade, one core at a time', () => {
  it('v1+v1 → v2+v1 → v2+v2 with no failed request; a contract migration then refuses v1', async () => {
    let a = await start(common({}, true, null));
    await a.waitReady(120_000, [a.ports.api]);
    const dbEnv = Object.fromEntries(Object.entries(a.env).filter(([k]) => k.startsWith('HOMECORE_STORAGES__POSTGRESQL__'))) as Record<string, string>;
    let b = await start(common(dbEnv, false, null));
    await b.waitReady(120_000, [b.ports.api]);
    const user: HaUser = await haUser(url(a), HOSTING);

    // The client: create through one core in rotation, read back through the next one.
    const rotation: string[] = [url(a), url(b)];
    const failures: string[] = [];
    const served = new Map<string, number>();
    let ok = 0;
    let stop = false;
    let turn = 0;
    const client = async (): Promise<void> => {
      while (!stop) {
        const [w, r] = [rotation[turn % rotation.length], rotation[(turn + 1) % rotation.length]];
        turn += 1;
        if (w === undefined || r === undefined) continue;
        const id = eventId();
        const c = await createEvent(w, user, id);
        const g = c.status === 201 ? await readEvent(r, user, id) : { status: 0, errorId: 'not created' };
        if (c.status !== 201 || g.status !== 200) failures.push(`create via ${w}: ${c.status} ${c.errorId ?? ''}; read via ${r}: ${g.status} ${g.errorId ?? ''}`);
        else ok += 1;
        for (const x of [w, r]) served.set(x, (served.get(x) ?? 0) + 1);
      }
    };
    const phase = async (name: string, n: number): Promise<void> => {
      const [until, deadline] = [ok + n, Date.now() + 60_000];
      while (ok < until) {
        if (Date.now() > deadline) throw new Error(`${name}: ${ok} ok, failures ${JSON.stringify(failures.slice(0, 5))}`);
        await sleep(20);
      }
    };
    const upgrade = async (core: CoreProcess): Promise<CoreProcess> => {
      rotation.splice(rotation.indexOf(url(core)), 1);
      await sleep(300); // requests already sent to it finish (it also drains on SIGTERM)
      core.signal('SIGTERM');
      expect(await core.waitExit(60_000)).toBe(0);
      const next = await start(common(dbEnv, false, V2), core);
      await next.waitReady(120_000, [next.ports.api]);
      rotation.push(url(next));
      return next;
    };

    const running = [client(), client()];
    await phase('v1 + v1', 30);

    const migrate = await exec(resolve('bin/migrate'), [], { env: { ...a.env, TEST_HOMECORE_UPGRADE: V2 } });
    expect(migrate.stdout).toMatch(/^\{"applied":\[9001\]\}\n/);
    await phase('v1 + v1 on the expanded schema', 30);
    a = await upgrade(a);
    await phase('v2 + v1', 30);
    b = await upgrade(b);
    await phase('v2 + v2', 30);
    stop = true;
    await Promise.all(running);
    console.log(`rolling upgrade figures: ${JSON.stringify({ ok, failures: failures.length, served: Object.fromEntries(served) })}`);
    expect(failures).toEqual([]);

    // A contract migration (v3) raises min_app_version: v1 refuses to start, v2 leaves /ready.
    const contract = await exec(resolve('bin/migrate'), [], { env: { ...a.env, TEST_HOMECORE_UPGRADE: V3 } });
    expect(contract.stdout).toMatch(/"applied":\[9002\]/);
    const status = await exec(resolve('bin/migrate'), ['--status'], { env: { ...b.env } }).catch((err: { code: number; stdout: string }) => err);
    expect(status).toMatchObject({ code: 1 });
    expect(status.stdout).toMatch(/"minAppVersion": "0.3.0",\s*"appVersion": "0.2.0"[\s\S]*cannot serve this database/);
    const old = await start(common(dbEnv, false, null));
    expect(await old.waitExit(120_000)).toBe(1);
    expect(old.logs.join('\n')).toMatch(/cannot serve this database: its schema needs homecore ≥ 0\.3\.0/);
    let ready = 200;
    for (let i = 0; i < 50 && ready === 200; i += 1) {
      ready = (await fetch(new URL('ready', url(b))).catch(() => null))?.status ?? 0;
      await sleep(200);
    }
    expect(ready).toBe(503);
  });
});
