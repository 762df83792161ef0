import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { coreJson, registerWithStream } from '../helpers/core-json.js';
import { startCore, type CoreProcess } from '../helpers/core-process.js';

/**
 * events.create never answers before its commit (issue #10: whatever batching a write path does):
 * on a real core with one API worker, 24 writers create events. After 400 answers, another session
 * locks the events table against writes, so the worker's inserts wait and later creates pile up (a
 * build that answered before the commit would answer those); the worker is then killed (SIGKILL)
 * and the lock released. Once a worker is back, every create answered 201 is read back as answered.
 * Needs a build: `tsc -p tsconfig.json`.
 */
const cores: CoreProcess[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.kill();
});


describe('events.create through a killed API worker', { concurrent: false }, () => {
  it('every acknowledged create survives the kill', { timeout: 240_000 }, async () => {
    const c = await startCore({ env: { HOMECORE_CLUSTER__API_WORKERS: '1' } });
    cores.push(c);
    await c.waitReady(120_000);
    const api = c.urls.api;
    const { username, token } = await registerWithStream(api, 'evkill', 'kill');

    const env = (k: string): string => {
      const v = c.env[`HOMECORE_STORAGES__POSTGRESQL__${k}`] ?? '';
      return v.startsWith('"') ? (JSON.parse(v) as string) : v;
    };
    const locker = new pg.Client({ host: env('HOST'), port: Number(env('PORT')), database: env('DATABASE'), user: env('USER'), password: env('PASSWORD') });
    await locker.connect();
    const apiPid = c.workerPids().api[0];
    expect(apiPid).toBeTypeOf('number');
    const acked = new Map<string, number>();
    let failed = 0;
    let killed = false;
    let killedAt = 0;
    let seq = 0;
    const writer = async (): Promise<void> => {
      // Until the kill, and 200 more creates after it (refused, or answered by the re-forked worker).
      while (!killed || seq < killedAt + 200) {
        const n = seq++;
        try {
          const res = await coreJson(`${api}/${username}/events`, { method: 'POST', token, body: { streamIds: ['kill'], type: 'count/generic', content: n } });
          const id = (res.body['event'] as { id?: string } | undefined)?.id;
          if (res.status === 201 && typeof id === 'string') acked.set(id, n);
          else failed += 1;
        } catch {
          failed += 1;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const killer = async (): Promise<void> => {
      while (acked.size < 400) await new Promise((r) => setTimeout(r, 20));
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN SHARE MODE');
      // An insert waits on the lock; then a while for creates to queue behind it.
      await c.waitFor('an insert waiting on the lock', async () => {
        const { rows } = await locker.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO events%'`);
        return rows.length > 0;
      }, 60_000, 20);
      await new Promise((r) => setTimeout(r, 1000));
      killedAt = seq;
      killed = true;
      process.kill(apiPid ?? 0, 'SIGKILL');
      await locker.query('COMMIT');
    };
    try {
      await Promise.all([killer(), ...Array.from({ length: 24 }, writer)]);
    } finally {
      await locker.end();
    }
    expect(killed).toBe(true);

    await c.waitReady(120_000, [c.ports.api]);
    const read = await coreJson(`${api}/${username}/events?limit=100000&streams[]=kill`, { token });
    expect(read.status).toBe(200);
    const stored = new Map((read.body['events'] as { id: string; content: number }[]).map((e) => [e.id, e.content]));
    const lost = [...acked].filter(([id, n]) => stored.get(id) !== n);
    expect({ lost, acked: acked.size > 400 }).toEqual({ lost: [], acked: true });
    // Not part of the claim, but shows the kill hit creates in flight or queued.
    expect(failed + acked.size).toBe(seq);
  });
});
