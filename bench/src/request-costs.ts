// Statements and CPU per request (issue #10, docs/benchmarks.md#request-costs): starts a core of a
// checkout (--root, default this one; any built checkout, for A/B between commits) with
// pg_stat_statements, seeds one user as bench/run does (70 streams, a shared access on 19 of them),
// then sends --requests calls of each kind one after the other and prints every statement
// PostgreSQL ran meanwhile, per request: those of the request itself and the background ones it
// causes (webhook enqueue, access usage, change feed). Then --cpu-requests more of each kind, 8 at a
// time, and the CPU time each process group used per request (/proc: counts CPU, not wall time, so
// a busy shared machine changes it far less than req/s).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { restartWithCpuProfiles, startCore, stopCore } from './core.ts';
import { cpuSnapshot, descendants, roleOf } from './procs.ts';
import { seedCostUser, type Send } from './cost-seed.ts';
import { call, expectStatus, field } from './http.ts';

const { values } = parseArgs({ options: { root: { type: 'string' }, requests: { type: 'string' }, 'cpu-requests': { type: 'string' }, audit: { type: 'string' }, only: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
const root = values.root ?? join(import.meta.dirname, '..', '..');
const n = Number(values.requests ?? 200);
const cpuN = Number(values['cpu-requests'] ?? 2000);
const CLK_TCK = 100;
const log = (m: string): void => void process.stderr.write(`statements: ${m}\n`);

const core = await startCore({ root, apiWorkers: null, logLevel: null, pgStats: true, audit: values.audit === undefined ? null : values.audit === 'on' });
const su = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
try {
  const { username, token, kinds: calls } = await seedCostUser(core, 'st');
  const kinds: { id: string; send: Send }[] = [
    ...[...calls].map(([id, send]) => ({ id, send })),
    ...(await seriesKinds(username, token)),
  ];
  // --cpu-prof <dir>: the core restarted with --cpu-prof on every process (profiles written at its stop).
  if (values['cpu-prof'] !== undefined) await restartWithCpuProfiles(core, root, values['cpu-prof']);
  await su.connect();
  const only = values.only === undefined ? null : new RegExp(values.only);
  for (const k of kinds.filter((x) => only === null || only.test(x.id))) {
    for (let i = 0; i < 20; i++) await k.send(i);
    await new Promise((r) => setTimeout(r, 2500));
    await su.query('SELECT pg_stat_statements_reset()');
    for (let i = 0; i < n; i++) {
      const status = await k.send(i);
      if (status >= 300) throw new Error(`${k.id}: status ${status}`);
    }
    // Background statements the requests caused (usage flush every 2 s, webhook enqueue, change feed).
    await new Promise((r) => setTimeout(r, 2500));
    const { rows } = await su.query<{ query: string; calls: string }>(
      `SELECT s.query, s.calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = 'homecore' AND s.query NOT LIKE '%pg_stat_statements%' ORDER BY s.calls DESC`,
    );
    const total = rows.reduce((a, r) => a + Number(r.calls), 0);
    console.log(`\n## ${k.id}: ${(total / n).toFixed(2)} statements per request (${n} requests)\n`);
    for (const r of rows) {
      const per = Number(r.calls) / n;
      if (per >= 0.05) console.log(`${per.toFixed(2).padStart(6)}  ${r.query.replace(/\s+/g, ' ').slice(0, 150)}`);
    }
    if (cpuN > 0) {
      await su.query('SELECT pg_stat_statements_reset()');
      console.log(`\n${await cpuPerRequest(k.send)}`);
      // The same 8-at-a-time phase, counted: concurrent writes share group-committed statements.
      const { rows: conc } = await su.query<{ query: string; calls: string }>(
        `SELECT s.query, s.calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = 'homecore' AND s.query NOT LIKE '%pg_stat_statements%' ORDER BY s.calls DESC LIMIT 3`,
      );
      console.log(`8 at a time, top statements per request: ${conc.map((r) => `${(Number(r.calls) / cpuN).toFixed(2)} ${r.query.replace(/\s+/g, ' ').slice(0, 60)}`).join('; ')}`);
    }
  }
  const { rows: conns } = await su.query<{ via: string; n: string }>(
    `SELECT CASE WHEN client_addr IS NULL THEN 'unix socket' ELSE 'tcp' END AS via, count(*) AS n FROM pg_stat_activity WHERE application_name = 'homecore' GROUP BY 1`,
  );
  console.log(`\nworker connections: ${conns.map((c) => `${c.n} over ${c.via}`).join(', ')}`);
} finally {
  await su.end().catch(() => undefined);
  await stopCore(core, true);
  log('core stopped');
}

/**
 * Series writes of 10 points (fresh deltaTimes, over 4 holders) and reads of 1,000 points (on a
 * 20,000-point holder), on the API port and on the HFS port.
 */
async function seriesKinds(username: string, token: string): Promise<{ id: string; send: (i: number) => Promise<number> }[]> {
  const holder = async (): Promise<string> =>
    field<string>(await expectStatus(201, 'POST', `${core.apiUrl}${username}/events`, { token, body: { streamIds: ['f19'], type: 'series:mass/kg', time: Date.now() / 1000 - 200_000 } }), 'event', 'id');
  const flat = (pts: number[][]): unknown => ({ format: 'flatJSON', fields: ['deltaTime', 'value'], points: pts });
  const holders = [await holder(), await holder(), await holder(), await holder()];
  const readHolder = await holder();
  await expectStatus(200, 'POST', `${core.apiUrl}${username}/events/${readHolder}/series`, { token, body: flat(Array.from({ length: 20_000 }, (_, i) => [i, 60 + (i % 300) / 10])) });
  let dt = 0;
  const kinds: { id: string; send: (i: number) => Promise<number> }[] = [];
  for (const [port, url] of [['api', core.apiUrl], ['hfs', core.hfsUrl]] as const) {
    kinds.push({
      id: `series.write-10 ${port}`,
      send: async (i) => {
        dt += 10;
        const from = dt;
        const pts = Array.from({ length: 10 }, (_, k) => [from + k, 70 + k]);
        return (await call('POST', `${url}${username}/events/${holders[i % holders.length] ?? ''}/series`, { token, body: flat(pts) })).status;
      },
    });
    kinds.push({
      id: `series.read-1000 ${port}`,
      send: async (i) => {
        const a = (i * 137) % 19_000;
        return (await call('GET', `${url}${username}/events/${readHolder}/series?fromDeltaTime=${a}&toDeltaTime=${a + 1000}`, { token })).status;
      },
    });
  }
  return kinds;
}

/** CPU ms per request of each process group of the core, over cpuN requests sent 8 at a time. */
async function cpuPerRequest(send: (i: number) => Promise<number>): Promise<string> {
  const pids = [core.masterPid, ...descendants(core.masterPid)];
  const before = cpuSnapshot(pids);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < cpuN) {
      const status = await send(next++);
      if (status >= 300) throw new Error(`status ${status}`);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const after = cpuSnapshot(pids);
  const perGroup = new Map<string, number>();
  for (const pid of pids) {
    const ticks = (after.perPid.get(pid) ?? 0) - (before.perPid.get(pid) ?? 0);
    perGroup.set(roleOf(pid), (perGroup.get(roleOf(pid)) ?? 0) + ticks);
  }
  const ms = (ticks: number): string => ((ticks / CLK_TCK) * 1000 / cpuN).toFixed(3);
  const total = [...perGroup.values()].reduce((a, b) => a + b, 0);
  const parts = [...perGroup.entries()].sort((a, b) => b[1] - a[1]).map(([g, t]) => `${g} ${ms(t)}`);
  return `CPU ms per request (${cpuN} requests, 8 at a time, ${(cpuN / seconds).toFixed(0)} req/s on this machine now): total ${ms(total)}; ${parts.join(', ')}`;
}
