// WAL and PostgreSQL CPU per series append (issue #10, docs/benchmarks.md#series-appends-in-small-chunks-2026-12-05):
// starts a core of a built checkout (--root, default this one), registers one user, then for each
// `<points>x<appends>` argument creates a series holder and appends to it one request at a time
// (forward in time, as sensors write), after 20 unmeasured appends. Prints the WAL bytes
// (pg_stat_wal) and the CPU of the core's PostgreSQL processes (/proc) per append, and the chunks left.
// Usage: node bench/src/series-append-wal.ts [--root <checkout>] 10x3000 100x1000 1000x300
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startCore, stopCore } from './core.ts';
import { cpuSnapshot, descendants, roleOf } from './procs.ts';

const { values, positionals } = parseArgs({ options: { root: { type: 'string' } }, allowPositionals: true });
const root = values.root ?? join(import.meta.dirname, '..', '..');
const specs = positionals.length > 0 ? positionals : ['10x3000', '100x1000', '1000x300'];
const core = await startCore({ root, apiWorkers: null, logLevel: null, pgStats: false, audit: null });
try {
  const c = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
  await c.connect();
  const username = `wal${Date.now().toString(36)}`;
  const reg = (await (await fetch(`${core.apiUrl}users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'pw-wal-append-1', email: `${username}@bench.invalid`, appId: 'homecore-bench' }) })).json()) as { apiEndpoint: string };
  const token = decodeURIComponent(new URL(reg.apiEndpoint).username);
  const base = `${core.apiUrl}${username}/`;
  const h = { authorization: token, 'content-type': 'application/json' };
  await fetch(`${base}streams`, { method: 'POST', headers: h, body: JSON.stringify({ id: 's', name: 's' }) });
  /** CPU ticks (1/100 s) of the core's PostgreSQL processes, those alive now (backends come and go). */
  const ticks = (): number => {
    const snap = cpuSnapshot(descendants(core.masterPid).filter((p) => roleOf(p) === 'postgresql'));
    return [...snap.perPid.values()].reduce((a, b) => a + b, 0);
  };
  // Backends flush their WAL counters to pg_stat_wal at most once a second: wait for it first.
  const wal = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 1500));
    return Number((await c.query<{ wal_bytes: string }>('SELECT wal_bytes FROM pg_stat_wal')).rows[0]?.wal_bytes);
  };
  for (const spec of specs) {
    const [P = 10, N = 1000] = spec.split('x').map(Number);
    const ev = (await (await fetch(`${base}events`, { method: 'POST', headers: h, body: JSON.stringify({ streamIds: ['s'], type: 'series:mass/kg', time: Date.now() / 1000 - 3600 }) })).json()) as { event: { id: string } };
    const id = ev.event.id;
    const send = async (i: number): Promise<void> => {
      const points = Array.from({ length: P }, (_, k) => [i * P + k, 60 + k / 10]);
      const r = await fetch(`${base}events/${id}/series`, { method: 'POST', headers: h, body: JSON.stringify({ format: 'flatJSON', fields: ['deltaTime', 'value'], points }) });
      if (r.status !== 200) throw new Error(`status ${r.status}`);
    };
    for (let i = 0; i < 20; i++) await send(i);
    const w0 = await wal();
    const t0 = ticks();
    for (let i = 20; i < 20 + N; i++) await send(i);
    const t1 = ticks();
    const w1 = await wal();
    const ch = (await c.query<{ n: number; big: number }>('SELECT count(*)::int AS n, max(n) AS big FROM series_chunks WHERE event_id = $1', [id])).rows[0];
    console.log(`${root}: ${P} points × ${N}: WAL bytes per append ${((w1 - w0) / N).toFixed(0)}, PostgreSQL CPU ms per append ${(((t1 - t0) * 10) / N).toFixed(3)}, chunks ${ch?.n} (largest ${ch?.big})`);
  }
  await c.end();
} finally {
  await stopCore(core, true);
}
