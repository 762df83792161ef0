import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { CoreInstancesRepository } from '../../src/platform/core-instances.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { sleep } from '../../src/util/backoff.js';
import { randomUsername } from '../helpers/api-app.js';
import { dig } from '../helpers/dig.js';
import { freePort } from '../helpers/free-port.js';
import { HaProxy } from '../helpers/haproxy.js';
import { call, platformForTest, type Answer, type MultiCore, type Platform } from '../helpers/multi-core.js';

/**
 * Issue #13 × #15: core A of a two-core platform runs as two clones (A1, A2) behind HAProxy
 * (config/haproxy.cfg), its core.url being the balancer; core B is a lone core. The platform DB is
 * the suite's rqlited (platformDb.rqlited.external). Placement, /reg/cores, 421 wrong-core, DNS and
 * each clone's own heartbeat (core_instances), then the clones drained one after the other.
 */
let p: Platform;
let a1: MultiCore;
let a2: MultiCore;
let b: MultiCore;
let lb: HaProxy;
let lbUrl: string;
let dnsPort: number;
let rq: RqliteClient;

const register = (via: string, username: string): Promise<Answer> =>
  call(via, '/reg/users', { method: 'POST', body: { username, password: 'a-good-password', email: `${username}@example.test`, appId: 'mc-clones', hosting: p.hosting } });
const homeOf = async (username: string): Promise<string> =>
  String((await rq.queryRows('SELECT core_id FROM users WHERE username = ? AND pending = 0', [username], 'linearizable'))[0]?.['core_id'] ?? '');
const coreRow = async (id: string): Promise<{ available: number; url: string }> => {
  const row = (await rq.queryRows('SELECT available, url FROM cores WHERE id = ?', [id], 'linearizable'))[0];
  return { available: Number(row?.['available']), url: String(row?.['url']) };
};
const instances = (coreId: string) => new CoreInstancesRepository(rq).list(coreId);
const say = (line: string): void => void process.stdout.write(`multi-core-clones: ${line}\n`);

beforeAll(async () => {
  p = platformForTest({ publicPort: await freePort() });
  rq = new RqliteClient({ url: p.rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 5000, logger: createLogger({ level: 'silent', role: 'test' }) });
  const [api, hfs, stats] = [await freePort(), await freePort(), await freePort()];
  lbUrl = `http://127.0.0.1:${api}/`;
  dnsPort = await freePort();
  const clone = { HOMECORE_CORE__URL: lbUrl, HOMECORE_CLUSTER__DRAIN_MS: '3500' };
  a1 = await p.start('a', '127.0.0.5', { ...clone, HOMECORE_CORE__CLONE_ID: 'a1' });
  a2 = await p.startClone(a1, 'a2', {
    ...clone, HOMECORE_DNS__ENABLED: 'true', HOMECORE_DNS__PORT: String(dnsPort), HOMECORE_DNS__BIND_ADDRESS: '127.0.0.1', HOMECORE_DNS__TTL_SECONDS: '5',
  });
  b = await p.start('b', '127.0.0.6');
  lb = new HaProxy({
    HOMECORE_LB_API: `127.0.0.1:${api}`, HOMECORE_LB_HFS: `127.0.0.1:${hfs}`, HOMECORE_LB_STATS: `127.0.0.1:${stats}`,
    HOMECORE_CLONE_A_API: `127.0.0.1:${a1.core.ports.api}`, HOMECORE_CLONE_B_API: `127.0.0.1:${a2.core.ports.api}`,
    HOMECORE_CLONE_A_HFS: `127.0.0.1:${a1.core.ports.hfs}`, HOMECORE_CLONE_B_HFS: `127.0.0.1:${a2.core.ports.hfs}`,
  });
  await lb.start();
  for (let i = 0; (await lb.states()).some((s) => s.backend === 'homecore_api' && s.status !== 'UP'); i++) {
    if (i > 200) throw new Error(`clones not UP: ${JSON.stringify(await lb.states())}`);
    await sleep(100);
  }
}, 400_000);

afterAll(async () => {
  await lb?.stop();
  for (const x of [b, a2, a1]) await x?.core.kill().catch(() => undefined);
  await rq?.execute([
    ['DELETE FROM unique_fields WHERE username IN (SELECT username FROM users WHERE core_id IN (SELECT id FROM cores WHERE hosting = ?))', p.hosting],
    ['DELETE FROM users WHERE core_id IN (SELECT id FROM cores WHERE hosting = ?)', p.hosting],
    ['DELETE FROM core_instances WHERE core_id IN (SELECT id FROM cores WHERE hosting = ?)', p.hosting],
    ['DELETE FROM cores WHERE hosting = ?', p.hosting],
  ]).catch(() => undefined);
  await rq?.close();
}, 60_000);

describe('clones of a core in a multi-core platform', () => {
  it('each clone heartbeats as its own instance of the core; the core is registered once, at the balancer', async () => {
    const rows = await instances(a1.id);
    say(`instances of ${a1.id}: ${JSON.stringify(rows.map((r) => [r.instance, r.available, r.staleAt - r.seenAt]))}`);
    expect(rows.map((r) => [r.instance, r.available])).toEqual([[`${a1.id}.a1`, true], [`${a1.id}.a2`, true]]);
    expect(await coreRow(a1.id)).toEqual({ available: 1, url: lbUrl });
    expect((await rq.queryRows('SELECT count(*) AS n FROM cores WHERE hosting = ?', [p.hosting], 'linearizable'))[0]?.['n']).toBe(2);
  });

  it('places users on both cores through either clone; /reg/cores, 421 wrong-core and DNS name the balancer for core A', async () => {
    const homes: Record<string, string[]> = { [a1.id]: [], [b.id]: [] };
    for (let i = 0; i < 6; i++) {
      const username = randomUsername('mcc');
      const via = [a1.url, a2.url, b.url][i % 3] ?? '';
      const res = await register(via, username);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      homes[await homeOf(username)]?.push(username);
    }
    say(`placement: ${JSON.stringify(Object.fromEntries(Object.entries(homes).map(([k, v]) => [k, v.length])))}`);
    const [onA, onB] = [homes[a1.id]?.[0] ?? '', homes[b.id]?.[0] ?? ''];
    expect(onA).not.toBe('');
    expect(onB).not.toBe('');
    for (const via of [a1, a2, b]) {
      expect((await call(via.url, `/reg/cores?username=${onA}`)).body['core']).toEqual({ url: lbUrl });
      expect((await call(via.url, `/reg/cores?username=${onB}`)).body['core']).toEqual({ url: b.url });
    }
    // A user of core A is served by both clones and by the balancer; core B's users get 421 from both clones.
    for (const base of [a1.url, a2.url, lbUrl]) {
      const own = await call(base, `/${onA}/access-info`, { token: 'whatever' });
      expect([own.status, own.body.error?.id], base).toEqual([403, 'invalid-access-token']);
    }
    for (const via of [a1, a2]) {
      const other = await call(via.url, `/${onB}/access-info`, { token: 'whatever' });
      expect([other.status, other.body.error?.id, other.body.error?.coreUrl]).toEqual([421, 'wrong-core', b.url]);
    }
    const fromB = await call(b.url, `/${onA}/access-info`, { token: 'whatever' });
    expect([fromB.status, fromB.body.error?.coreUrl]).toEqual([421, lbUrl]);
    // DNS served by clone A2: the core's one IP for its users, both cores for reg.
    expect((await dig('127.0.0.1', dnsPort, `${onA}.${p.domain}`)).answers).toEqual([a1.ip]);
    expect((await dig('127.0.0.1', dnsPort, `${onB}.${p.domain}`)).answers).toEqual([b.ip]);
    expect((await dig('127.0.0.1', dnsPort, `reg.${p.domain}`)).answers.sort()).toEqual([a1.ip, b.ip].sort());
  });

  it('one clone drained: the core stays available and served through the balancer; both drained: the core leaves placement', async () => {
    a1.core.signal('SIGTERM');
    const drained = await a1.core.waitFor('A1 instance unavailable', async () => {
      const row = (await instances(a1.id)).find((r) => r.instance === `${a1.id}.a1`);
      return row?.available === false ? row : null;
    }, 15_000, 100);
    expect(drained.reason).toBe('draining');
    expect((await coreRow(a1.id)).available).toBe(1);
    expect(await a1.core.waitExit(60_000)).toBe(0);
    // Placement may still choose core A: its registrations are forwarded to the balancer, i.e. to A2.
    const placed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const username = randomUsername('one');
      const res = await register(b.url, username);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      placed.push(await homeOf(username));
    }
    const started = Date.now();
    a2.core.signal('SIGTERM');
    await a2.core.waitFor('core A unavailable', async () => (await coreRow(a1.id)).available === 0, 15_000, 100);
    const unavailableMs = Date.now() - started;
    const after = randomUsername('none');
    expect((await register(b.url, after)).status).toBe(201);
    say(`A1 drained: core A still available, 4 registrations through B placed on ${JSON.stringify(placed)}; A2 drained too: core A unavailable after ${unavailableMs} ms; next user on ${await homeOf(after)}`);
    expect(await homeOf(after)).toBe(b.id);
    expect(await a2.core.waitExit(60_000)).toBe(0);
  });
});
