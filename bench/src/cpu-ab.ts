// CPU per request of two checkouts side by side (issue #10, docs/benchmarks.md#api-worker-cpu-per-call):
// starts a core of each (--a, --b: built checkouts; --b defaults to this one), seeds both as
// request-costs.ts does (70 streams, 200 events, a shared access on 19 streams), then runs rounds in
// which each kind of call is sent --requests times, 8 at a time, to one core and then to the other
// (the order alternates per round). Both cores idle while the other is measured, so the machine's
// drift hits both alike; what is printed is CPU ms per call from /proc (user and system time of the
// API workers, the master, PostgreSQL) per round, then the medians. --strace also counts the API
// workers' system calls per call over --strace-requests sequential calls (strace -c; slower).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCore, stopCore, type StartedCore } from './core.ts';
import { descendants, roleOf } from './procs.ts';
import { seedCostUser, type Send } from './cost-seed.ts';

const { values } = parseArgs({
  options: {
    a: { type: 'string' }, b: { type: 'string' }, rounds: { type: 'string' }, requests: { type: 'string' }, only: { type: 'string' },
    strace: { type: 'boolean' }, 'strace-requests': { type: 'string' }, audit: { type: 'string' }, 'b-env': { type: 'string', multiple: true },
  },
});
if (values.a === undefined) {
  process.stderr.write('usage: node bench/src/cpu-ab.ts --a <built checkout> [--b <built checkout>] [--rounds 4] [--requests 1500] [--only REGEX] [--strace] [--audit on|off] [--b-env KEY=VALUE]…\n');
  process.exit(2);
}
const roots = { A: values.a, B: values.b ?? join(import.meta.dirname, '..', '..') };
const rounds = Number(values.rounds ?? 4);
const n = Number(values.requests ?? 1500);
const straceN = Number(values['strace-requests'] ?? 300);
const only = values.only === undefined ? null : new RegExp(values.only);
const audit = values.audit === undefined ? null : values.audit === 'on';
/** --b-env KEY=VALUE: settings of B only (a config switch compared on one build). */
const bEnv = Object.fromEntries((values['b-env'] ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const CLK_TCK = 100;
const log = (m: string): void => void process.stderr.write(`cpu-ab: ${m}\n`);

interface Target { name: 'A' | 'B'; core: StartedCore; kinds: Map<string, Send> }

/** The seed and calls of request-costs.ts (cost-seed.ts). */
async function seed(core: StartedCore): Promise<Map<string, Send>> {
  return (await seedCostUser(core, 'ab')).kinds;
}

/** utime and stime ticks of a process (all its threads). */
function ticks(pid: number): { user: number; sys: number } {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]), sys: Number(f[12]) };
  } catch {
    return { user: 0, sys: 0 };
  }
}

interface Sample { api: number; apiSys: number; master: number; pg: number; rps: number }

async function measure(t: Target, kind: string, send: Send): Promise<Sample> {
  for (let i = 0; i < 50; i++) await send(i);
  const pids = [t.core.masterPid, ...descendants(t.core.masterPid)];
  const before = new Map(pids.map((p) => [p, ticks(p)]));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < n) {
      const s = await send(next++);
      if (s >= 300) throw new Error(`${t.name} ${kind}: status ${s}`);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const sum = { api: 0, apiSys: 0, master: 0, pg: 0 };
  for (const pid of pids) {
    const a = ticks(pid);
    const b = before.get(pid) ?? { user: 0, sys: 0 };
    const user = a.user - b.user;
    const sys = a.sys - b.sys;
    const role = roleOf(pid);
    if (role === 'api workers') {
      sum.api += user + sys;
      sum.apiSys += sys;
    } else if (role === 'master') sum.master += user + sys;
    else if (role === 'postgresql') sum.pg += user + sys;
  }
  const ms = (x: number): number => ((x / CLK_TCK) * 1000) / n;
  return { api: ms(sum.api), apiSys: ms(sum.apiSys), master: ms(sum.master), pg: ms(sum.pg), rps: n / seconds };
}

/** System calls per call of the API workers (strace -c -f), over straceN sequential calls. */
async function syscalls(t: Target, send: Send): Promise<string> {
  const pids = descendants(t.core.masterPid).filter((p) => roleOf(p) === 'api workers');
  const child = spawn('strace', ['-c', '-f', '-qq', ...pids.flatMap((p) => ['-p', String(p)])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < straceN; i++) await send(i);
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  const rows = out.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 5 && /^\d/.test(c[0] ?? '') && c[c.length - 1] !== 'total');
  return rows
    .map((c) => ({ name: c[c.length - 1] ?? '?', calls: Number(c[3]) }))
    .filter((r) => r.calls / straceN >= 0.05)
    .sort((x, y) => y.calls - x.calls)
    .map((r) => `${r.name} ${(r.calls / straceN).toFixed(2)}`)
    .join(', ');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const targets: Target[] = [];
try {
  for (const name of ['A', 'B'] as const) {
    log(`starting ${name} (${roots[name]})`);
    const settings = { root: roots[name], apiWorkers: null, logLevel: null, pgStats: false, audit, readyTimeoutMs: 300_000, extraEnv: name === 'B' ? bEnv : {} };
    // Free ports are picked at random: two picks may clash (startCore says so); pick again.
    const core = await startCore(settings).catch((err: unknown) => ((err as Error).message.includes('port clash') ? startCore(settings) : Promise.reject(err)));
    targets.push({ name, core, kinds: new Map() });
  }
  for (const t of targets) t.kinds = await seed(t.core);
  const kinds = [...(targets[0]?.kinds.keys() ?? [])].filter((k) => only === null || only.test(k));
  console.log(`A = ${roots.A}\nB = ${roots.B}\n${n} calls per kind per round, 8 at a time; CPU ms per call (API workers: total, of which system)\n`);
  const results = new Map<string, Record<'A' | 'B', Sample[]>>(kinds.map((k) => [k, { A: [], B: [] }]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const kind of kinds) {
      for (const t of order) {
        const s = await measure(t, kind, t.kinds.get(kind) as Send);
        results.get(kind)?.[t.name].push(s);
        console.log(`round ${r + 1} ${kind.padEnd(26)} ${t.name}: api ${s.api.toFixed(3)} (sys ${s.apiSys.toFixed(3)})  master ${s.master.toFixed(3)}  pg ${s.pg.toFixed(3)}  ${s.rps.toFixed(0)} req/s`);
      }
    }
  }
  console.log('\nmedians (CPU ms per call):');
  for (const [kind, res] of results) {
    const m = (name: 'A' | 'B', f: keyof Sample): number => median(res[name].map((s) => s[f]));
    const ratio = m('A', 'api') > 0 ? ((m('B', 'api') / m('A', 'api') - 1) * 100).toFixed(0) : '?';
    console.log(`${kind.padEnd(26)} api A ${m('A', 'api').toFixed(3)} B ${m('B', 'api').toFixed(3)} (${ratio} %)  sys A ${m('A', 'apiSys').toFixed(3)} B ${m('B', 'apiSys').toFixed(3)}  master A ${m('A', 'master').toFixed(3)} B ${m('B', 'master').toFixed(3)}  pg A ${m('A', 'pg').toFixed(3)} B ${m('B', 'pg').toFixed(3)}`);
  }
  if (values.strace === true) {
    console.log(`\nsystem calls of the API workers per call (${straceN} sequential calls):`);
    for (const kind of kinds) for (const t of targets) console.log(`${kind.padEnd(26)} ${t.name}: ${await syscalls(t, t.kinds.get(kind) as Send)}`);
  }
} finally {
  for (const t of targets) await stopCore(t.core, true);
  log('cores stopped');
}
