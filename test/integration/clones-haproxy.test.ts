import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pryv from 'pryv';
import { io } from 'socket.io-client';
import { startCore, type CoreProcess } from '../helpers/core-process.js';
import { randomUsername } from '../helpers/api-app.js';
import { freePort } from '../helpers/free-port.js';
import { HaProxy } from '../helpers/haproxy.js';
import { sleep } from '../../src/util/backoff.js';

/**
 * Two clones of one core behind HAProxy with the repository's config/haproxy.cfg (issue #13): SDK
 * traffic through the balancer, clone B's whole process tree SIGKILLed mid-traffic (a machine lost).
 * No acknowledged write is lost, the only failed requests are those B held when it died, and the
 * balancer marks B down from its /ready polls. Clone A holds the rqlite cluster's vote, clone B is a
 * non-voter (docs/operations.md#clones-of-one-core). The masters run from dist/ (build first).
 */
const WRITERS = 4;
/** Writes started this soon after the death may still fail (see the assertion). */
const DEATH_SETTLE_MS = 250;
let a: CoreProcess;
let b: CoreProcess;
let lb: HaProxy;
let lbUrl: string;

beforeAll(async () => {
  const [api, hfs, stats] = [await freePort(), await freePort(), await freePort()];
  lbUrl = `http://127.0.0.1:${api}`;
  const publicEnv = { HOMECORE_PLATFORM__PUBLIC_URL: `${lbUrl}/`, HOMECORE_SERVICE__HOME: `${lbUrl}/` };
  a = await startCore({ host: '127.0.0.31', env: { ...publicEnv, HOMECORE_CORE__CLONE_ID: 'a' } });
  await a.waitReady(60_000, [a.ports.api]);
  b = await startCore({ host: '127.0.0.32', cloneOf: { core: a, cloneId: 'b' }, env: publicEnv });
  await b.waitReady(60_000, [b.ports.api]);
  lb = new HaProxy({
    HOMECORE_LB_API: `127.0.0.1:${api}`, HOMECORE_LB_HFS: `127.0.0.1:${hfs}`, HOMECORE_LB_STATS: `127.0.0.1:${stats}`,
    HOMECORE_CLONE_A_API: `127.0.0.31:${a.ports.api}`, HOMECORE_CLONE_B_API: `127.0.0.32:${b.ports.api}`,
    HOMECORE_CLONE_A_HFS: `127.0.0.31:${a.ports.hfs}`, HOMECORE_CLONE_B_HFS: `127.0.0.32:${b.ports.hfs}`,
  });
  await lb.start();
  for (let i = 0; (await lb.states()).some((s) => s.backend === 'homecore_api' && s.status !== 'UP'); i++) {
    if (i > 100) throw new Error(`servers not UP: ${JSON.stringify(await lb.states())}`);
    await sleep(100);
  }
}, 150_000);
afterAll(async () => {
  await lb?.stop();
  await b?.kill();
  await a?.kill();
});

/** A Socket.IO connection through the balancer (its WebSocket backend, config/haproxy.cfg) that answers a call. */
async function socketCall(username: string, token: string): Promise<number> {
  const socket = io(`${lbUrl}/${username}/${username}`, { forceNew: true, reconnection: false, transports: ['websocket'], query: { auth: token } });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    // Pryv's Socket.IO calls answer (error, result).
    const res = await new Promise<{ events: unknown[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer over the WebSocket within 10 s')), 10_000);
      socket.emit('events.get', { streams: ['ha'], limit: 1 }, (err: unknown, result: { events: unknown[] }) => {
        clearTimeout(timer);
        if (err !== null) reject(new Error(JSON.stringify(err)));
        else resolve(result);
      });
    });
    return res.events.length;
  } finally {
    socket.close();
  }
}

interface Call { start: number; end: number; ok: boolean; id?: string; err?: string }

describe('clones behind HAProxy', () => {
  it('SIGKILL of one clone mid-traffic: no acknowledged write lost, only in-flight requests fail, B marked down', async () => {
    const service = new pryv.Service(`${lbUrl}/reg/service/info`);
    const username = randomUsername('lb');
    await service.createUser({ username, password: 'lb-password-1', email: `${username}@example.test`, hosting: 'auto', appId: 'ha-clones' });
    const conn = await service.login(username, 'lb-password-1', 'ha-clones');
    expect(conn.endpoint).toContain(lbUrl.replace('http://', ''));
    await conn.apiOne('streams.create', { id: 'ha', name: 'HA' }, 'stream');
    await conn.apiOne('events.create', { streamIds: ['ha'], type: 'note/txt', content: 'first' }, 'event');
    expect(await socketCall(username, conn.token)).toBe(1);

    const calls: Call[] = [];
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const call: Call = { start: Date.now(), end: 0, ok: false };
        try {
          const e = await conn.apiOne('events.create', { streamIds: ['ha'], type: 'note/txt', content: `w${w}-${i}` }, 'event');
          call.ok = true;
          call.id = e.id;
        } catch (err) {
          call.err = (err as Error).message;
        }
        call.end = Date.now();
        calls.push(call);
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await sleep(3000);
    const before = await lb.state('homecore_api', 'clone-b');
    expect(before?.sessionsTotal).toBeGreaterThan(0);

    const killAt = Date.now();
    b.killSync();
    let deadAt = 0;
    let downAt = 0;
    while (deadAt === 0 || downAt === 0) {
      if (Date.now() - killAt > 20_000) throw new Error(`clone B dead: ${deadAt > 0}, marked down: ${downAt > 0}`);
      if (deadAt === 0 && b.treePids().length === 0) deadAt = Date.now();
      if (downAt === 0 && (await lb.state('homecore_api', 'clone-b'))?.status.startsWith('DOWN')) downAt = Date.now();
      await sleep(50);
    }
    const sessionsAtDown = (await lb.state('homecore_api', 'clone-b'))?.sessionsTotal;
    await sleep(3000);
    stop = true;
    await Promise.all(writers);

    const acked = calls.filter((c) => c.ok);
    const failed = calls.filter((c) => !c.ok);
    const afterKill = calls.filter((c) => c.start > deadAt);
    process.stdout.write(
      `clones-haproxy: ${calls.length} writes, ${acked.length} acknowledged, ${failed.length} failed ` +
        `(${failed.map((f) => f.err).join(' | ')}); B dead ${deadAt - killAt} ms after SIGKILL, marked DOWN ` +
        `${downAt - killAt} ms after; ${afterKill.length} writes started after B died, ${afterKill.filter((c) => !c.ok).length} failed\n`,
    );
    // Only requests B held when it died may fail; none started later (HAProxy waits up to 1 s
    // before retrying a refused connection: shutdown-sessions on the HTTP backend killed such a
    // request when B was marked down meanwhile, hence WebSockets on a backend of their own).
    // DEATH_SETTLE_MS: now and then a write started 15–40 ms after B's processes were seen gone
    // fails with "other side closed" (cause not pinned down, docs/operations.md); none later.
    const lateFailures = failed.filter((f) => f.start >= deadAt + DEATH_SETTLE_MS).map((f) => ({ ...f, afterDeathMs: f.start - deadAt }));
    expect(lateFailures).toEqual([]);
    // Before the kill, only the requests then in flight (one per writer) may fail. B's tree takes
    // 30–110 ms to die after SIGKILL: writes started meanwhile may fail too (5 of 4 writers seen).
    expect(failed.filter((f) => f.start < killAt).length).toBeLessThanOrEqual(WRITERS);
    for (const f of failed) expect(f.end).toBeGreaterThanOrEqual(killAt);
    expect(afterKill.length).toBeGreaterThan(0);
    // Down: nothing more sent to B.
    expect((await lb.state('homecore_api', 'clone-b'))?.sessionsTotal).toBe(sessionsAtDown);

    // A WebSocket through the balancer now lands on A.
    expect(await socketCall(username, conn.token)).toBe(1);

    // Every acknowledged write is there (read through the balancer, i.e. clone A).
    const events = await conn.apiOne('events.get', { streams: ['ha'], limit: 1_000_000 }, 'events');
    const stored = new Set(events.map((e: { id: string }) => e.id));
    const lost = acked.filter((c) => c.id !== undefined && !stored.has(c.id));
    expect(lost).toEqual([]);
    expect(acked.length).toBeGreaterThan(WRITERS * 5);
  }, 60_000);
});
