/**
 * `bench/run --audit-cost`: the audit trail's cost (issue #12, target ≤ 5 %), A/B on two cores
 * started side by side, one with `audit.enabled` off and one on, each seeded with one user, a few
 * streams and events only. Rounds alternate between them (the order flips each round, so a drift
 * of the machine's load does not favour one mode; the idle core waits). Per round and mode it runs
 * the hot scenarios of bench/run with the same request shapes:
 * `events.create-personal` (the durable path: the line is group-committed and fdatasync'ed before
 * the answer) and `events.get-none-personal` (buffered lines). Reported side by side per scenario:
 * req/s, the median of the per-round on/off ratios (robust to drift between rounds), the core's
 * CPU per request (all its processes: workers, PostgreSQL, rqlited; far less sensitive to a busy
 * machine than req/s; per role in the raw lines) and p99. Before every measured run both cores are
 * settled (VACUUM ANALYZE, CHECKPOINT): the creates grow the tables, and stale statistics or one
 * core's autovacuum during the other's run once made a mode look 20 % slower. One JSON line per
 * run, then a table (also to bench/results/<--out>.md); docs/benchmarks.md#audit-trail.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { UsageError } from './args.ts';
import { parseAuditCostOptions } from './audit-cost-args.ts';
import { startCore, stopCore, type StartedCore } from './core.ts';
import { expectStatus } from './http.ts';
import { load } from './machine.ts';
import { descendants, roleOf, type CpuGroups } from './procs.ts';
import { runWrk, type ReqSpec, type WrkResult } from './wrk.ts';

const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
const STREAMS = 10;
/** Other processes' CPU during a run (% of one core) above which the run is flagged as not quiet. */
const BUSY_OUTSIDE = 25;
const SEED_EVENTS = 200;

interface Seeded { base: string; path: string; token: string }

async function seedOne(apiUrl: string): Promise<Seeded> {
  const username = `audit${Date.now().toString(36)}`;
  const body = (await expectStatus(201, 'POST', `${apiUrl}users`, {
    body: { username, password: 'audit-cost-password', email: `${username}@bench.invalid`, appId: 'homecore-bench' },
    timeoutMs: 120_000,
  })) as { apiEndpoint: string };
  const endpoint = new URL(body.apiEndpoint);
  const token = decodeURIComponent(endpoint.username);
  endpoint.username = '';
  const base = endpoint.toString();
  const streams = Array.from({ length: STREAMS }, (_, i) => ({ method: 'streams.create', params: { id: `s${i}`, name: `S${i}` } }));
  await expectStatus(200, 'POST', base, { token, body: streams, timeoutMs: 120_000 });
  const events = Array.from({ length: SEED_EVENTS }, (_, i) => ({ method: 'events.create', params: { streamIds: [`s${i % STREAMS}`], type: 'note/txt', content: `seed ${i}` } }));
  await expectStatus(200, 'POST', base, { token, body: events, timeoutMs: 120_000 });
  return { base, path: new URL(base).pathname, token };
}

/** The request shapes of bench/run's scenarios of the same name (bench/src/scenarios.ts). */
const SCENARIOS: Record<string, (s: Seeded) => ReqSpec[]> = {
  'events.create-personal': (s) =>
    Array.from({ length: STREAMS }, (_, i) => [
      { method: 'POST', path: `${s.path}events`, token: s.token, body: { streamIds: [`s${i}`], type: 'note/txt', content: `bench ${i}` } },
      { method: 'POST', path: `${s.path}events`, token: s.token, body: { streamIds: [`s${i}`], type: 'mass/kg', content: 70 + i / 10 } },
    ] satisfies ReqSpec[]).flat(),
  'events.get-none-personal': (s) => [{ method: 'GET', path: `${s.path}events`, token: s.token }],
};

/** Every process of the core (master, workers, PostgreSQL, rqlited), grouped by role: together, the core's CPU. */
function coreGroups(core: StartedCore): () => CpuGroups {
  return () => {
    const groups: CpuGroups = {};
    for (const pid of [core.masterPid, ...descendants(core.masterPid)]) {
      const role = roleOf(pid);
      groups[role] = [...(groups[role] ?? []), pid];
    }
    return groups;
  };
}

interface Run { round: number; audit: boolean; scenario: string; r: WrkResult; cpuMsPerReq: number | null; load: number[] }

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
const pct = (ratio: number): string => (Number.isFinite(ratio) ? `${((ratio - 1) * 100).toFixed(1)} %` : 'n/a');

export async function runAuditCost(root: string, argv: string[]): Promise<void> {
  const o = parseAuditCostOptions(argv);
  const scenarios = Object.keys(SCENARIOS).filter((id) => o.only === null || o.only.test(id));
  if (scenarios.length === 0) throw new UsageError(`--only ${o.only?.source ?? ''}: no scenario (${Object.keys(SCENARIOS).join(', ')})`);
  if (o.rounds % 2 === 1) log(`--rounds ${o.rounds} is odd: the core measured first in a round is off once more than on (use an even number)`);
  const startedAt = new Date();
  const loadAtStart = load();
  const scriptDir = mkdtempSync(join(tmpdir(), 'homecore-bench-lua-'));
  const runs: Run[] = [];
  const cores = new Map<boolean, { core: StartedCore; seeded: Seeded }>();
  try {
    for (const audit of [false, true]) {
      log(`starting a core with audit ${audit ? 'on' : 'off'} (load ${load().join(', ')})`);
      const extraEnv: Record<string, string> = audit && o.durability !== null ? { HOMECORE_AUDIT__DURABILITY: o.durability } : {};
      const core = await startCore({ root, apiWorkers: o.apiWorkers, logLevel: null, pgStats: false, audit, readyTimeoutMs: o.readyTimeoutMs, extraEnv });
      cores.set(audit, { core, seeded: await seedOne(core.apiUrl) });
    }
    for (let round = 1; round <= o.rounds; round++) {
      const modes = round % 2 === 1 ? [false, true] : [true, false];
      for (const scenario of scenarios) {
        for (const audit of modes) {
          const { core, seeded } = cores.get(audit) as { core: StartedCore; seeded: Seeded };
          // The creates of earlier runs grew the events tables: fresh planner statistics, no
          // autovacuum or checkpoint due, on both cores, before each measured run (else the core
          // measured right after the other one's creates pays for the other's background work).
          for (const c of cores.values()) await settle(c.core);
          const run = { url: core.apiUrl, requests: (SCENARIOS[scenario] as (s: Seeded) => ReqSpec[])(seeded), duration: o.duration, connections: o.connections, threads: 1, timeoutS: 10 };
          if (o.warmup > 0) await runWrk({ ...run, duration: o.warmup }, scriptDir, `audit-${scenario}-warmup`, coreGroups(core));
          const r = await runWrk(run, scriptDir, `audit-${scenario}`, coreGroups(core));
          // perGroup also holds wrk's own CPU: not the core's.
          const ofCore = Object.entries(r.cpu.perGroup).filter(([g]) => g !== 'wrk');
          const byRole = Object.fromEntries(ofCore.map(([g, c]) => [g, msPerReq(c, r.rps)]));
          const total = r.rps === 0 ? null : msPerReq(ofCore.reduce((a, [, c]) => a + c, 0), r.rps);
          const x: Run = { round, audit, scenario, r, cpuMsPerReq: total, load: load() };
          runs.push(x);
          process.stdout.write(`${rawLine(x, byRole)}\n`);
        }
      }
    }
  } finally {
    for (const { core } of cores.values()) await stopCore(core, true);
    rmSync(scriptDir, { recursive: true, force: true });
  }
  const table = summary(runs, scenarios);
  process.stdout.write(table);
  if (o.out !== null) {
    const file = join(root, 'bench', 'results', `${o.out}.md`);
    mkdirSync(dirname(file), { recursive: true });
    const head = `# Audit cost, ${startedAt.toISOString()}\n\nCommand: \`bench/run ${argv.join(' ')}\` (two cores side by side, audit off / on, order flipped each round). Load average at the start ${loadAtStart.join(', ')}, at the end ${load().join(', ')}; ${availableParallelism()} CPUs. Raw rounds, then the summary.\n\n`;
    writeFileSync(file, `${head}\`\`\`\n${runs.map((x) => rawLine(x, null)).join('\n')}\n\`\`\`\n${table}`);
    log(`results: ${file}`);
  }
}

function msPerReq(cpuPercentOfOneCore: number, rps: number): number {
  // % of one core × 10 = CPU ms per second; over the requests of that second.
  return rps === 0 ? 0 : Math.round(((cpuPercentOfOneCore * 10) / rps) * 1000) / 1000;
}

function rawLine(x: Run, byRole: Record<string, number> | null): string {
  const { round, audit, scenario, r, cpuMsPerReq } = x;
  return JSON.stringify({ round, audit, scenario, rps: r.rps, p50: r.latencyMs.p50, p99: r.latencyMs.p99, cpuMsPerReq, ...(byRole === null ? {} : { byRole }), non2xx: r.non2xx, outside: r.cpu.outside, load: x.load });
}

async function settle(core: StartedCore): Promise<void> {
  const c = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
  await c.connect();
  try {
    await c.query('VACUUM ANALYZE');
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}

function summary(runs: Run[], scenarios: string[]): string {
  let out = '\n| scenario | off req/s | on req/s | change (means) | change (median of rounds) | off CPU ms/req | on CPU ms/req | CPU change (means) | CPU change (median of rounds) | off p99 ms | on p99 ms | non-2xx |\n';
  out += '|---|---|---|---|---|---|---|---|---|---|---|---|\n';
  for (const scenario of scenarios) {
    const of = (audit: boolean): Run[] => runs.filter((x) => x.scenario === scenario && x.audit === audit);
    const rps = (audit: boolean): number => mean(of(audit).map((x) => x.r.rps));
    const cpu = (audit: boolean): number => mean(of(audit).flatMap((x) => (x.cpuMsPerReq === null ? [] : [x.cpuMsPerReq])));
    const p99 = (audit: boolean): number => mean(of(audit).map((x) => x.r.latencyMs.p99));
    const paired: number[] = [];
    const pairedCpu: number[] = [];
    for (const on of of(true)) {
      const off = of(false).find((x) => x.round === on.round);
      if (off !== undefined && off.r.rps > 0) paired.push(on.r.rps / off.r.rps);
      if (off?.cpuMsPerReq && on.cpuMsPerReq !== null) pairedCpu.push(on.cpuMsPerReq / off.cpuMsPerReq);
    }
    const non2xx = runs.filter((x) => x.scenario === scenario).reduce((a, x) => a + x.r.non2xx, 0);
    out += `| ${scenario} | ${rps(false).toFixed(0)} | ${rps(true).toFixed(0)} | ${pct(rps(true) / rps(false))} | ${pct(median(paired))} | ${cpu(false).toFixed(2)} | ${cpu(true).toFixed(2)} | ${pct(cpu(true) / cpu(false))} | ${pct(median(pairedCpu))} | ${p99(false).toFixed(1)} | ${p99(true).toFixed(1)} | ${non2xx} |\n`;
  }
  // Other users of the machine (`outside`, % of one core) during one run and not its pair skew that pair.
  const busy = runs.filter((x) => x.r.cpu.outside > BUSY_OUTSIDE);
  const rounds = [...new Set(busy.map((x) => x.round))].sort((a, b) => a - b);
  const note = busy.length === 0
    ? `No run had other processes above ${BUSY_OUTSIDE} % of a core.`
    : `${busy.length} of ${runs.length} runs (rounds ${rounds.join(', ')}) had other processes using more than ${BUSY_OUTSIDE} % of a core ("outside"): those rounds do not measure the trail.`;
  return `${out}\nchange = on vs off (negative req/s change, positive CPU change = the trail's cost; target within 5 %).\n${note}\n`;
}
