/** One scenario's measured run (bench/run and bench/run --scale-test), and the core's CPU groups. */
import type { BenchOptions } from './args.ts';
import type { StartedCore } from './core.ts';
import { expectStatus } from './http.ts';
import type { PgStats } from './pg-stats.ts';
import { descendants, maxRssByGroup, roleOf, type CpuGroups } from './procs.ts';
import { runOnce } from './once-run.ts';
import { verdict, type ScenarioOutcome } from './report.ts';
import type { Scenario } from './scenarios.ts';
import type { Seed } from './seed.ts';
import { runWrk as runWrkCycling, type WrkRun } from './wrk.ts';

const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);

/** The core's processes by role, for CPU accounting (empty with --url: not ours to watch). */
export function coreGroups(core: StartedCore | null): () => CpuGroups {
  const roles = new Map<number, string>();
  return () => {
    const groups: CpuGroups = {};
    if (core === null) return groups;
    for (const pid of [core.masterPid, ...descendants(core.masterPid)]) {
      let role = roles.get(pid);
      if (role === undefined) {
        role = roleOf(pid);
        roles.set(pid, role);
      }
      const pids = groups[role] ?? [];
      pids.push(pid);
      groups[role] = pids;
    }
    return groups;
  };
}

async function streamCount(s: Seed): Promise<number> {
  const a = s.users[0];
  const body = await expectStatus(200, 'GET', `${a.base}streams`, { token: a.personalToken });
  const count = (list: unknown): number =>
    Array.isArray(list) ? list.reduce((n: number, x: unknown) => n + 1 + count((x as { children?: unknown }).children), 0) : 0;
  return count((body as { streams?: unknown }).streams);
}

export interface RunContext { o: Pick<BenchOptions, 'connections' | 'duration' | 'threads' | 'warmup'>; data: Seed; scriptDir: string; groups: () => CpuGroups; stats: PgStats | null }

/** Warm-up, then the measured wrk run, with pg_stat_statements reset before and read after it. */
export async function runScenario(sc: Scenario, { o, data, scriptDir, groups, stats }: RunContext): Promise<ScenarioOutcome> {
  const connections = sc.connections ?? o.connections;
  const outcome: ScenarioOutcome = { id: sc.id, group: sc.group, title: sc.title, detail: sc.detail, goal: sc.goal, connections, result: null, unavailable: null, streamsAtStart: null, pgTop: null };
  const first = await sc.requests(data);
  if (!Array.isArray(first)) {
    outcome.unavailable = first.unavailable;
    log(`${sc.id}: ${first.unavailable}`);
    return outcome;
  }
  const run = { url: sc.url(data), duration: o.duration, connections, threads: o.threads, timeoutS: sc.timeoutS ?? 10 };
  // A scenario whose requests must not repeat within a run goes through each once, without wrk.
  const runWrk = sc.once === true ? (r: WrkRun, _dir: string, _name: string, g: () => CpuGroups) => runOnce(r, g) : runWrkCycling;
  if (o.warmup > 0) await runWrk({ ...run, requests: first, duration: o.warmup }, scriptDir, `${sc.id}-warmup`, groups);
  // Asked again: some scenarios make fresh holders per wrk run.
  const requests = await sc.requests(data);
  if (!Array.isArray(requests)) throw new Error(`${sc.id} became unavailable after its warm-up`);
  outcome.streamsAtStart = await streamCount(data);
  await stats?.reset();
  if (sc.background !== undefined) {
    outcome.quiet = await runWrk({ ...run, requests }, scriptDir, `${sc.id}-quiet`, groups);
    outcome.maxP99Ratio = sc.background.maxP99Ratio;
    log(`${sc.id}: quiet p99 ${outcome.quiet.latencyMs.p99} ms; starting the background load`);
    const bg = sc.background.start(data);
    try {
      outcome.result = await runWrk({ ...run, requests }, scriptDir, sc.id, groups);
    } finally {
      outcome.background = await bg.stop();
    }
    log(`  background: ${JSON.stringify(outcome.background)}`);
  } else outcome.result = await runWrk({ ...run, requests }, scriptDir, sc.id, groups);
  outcome.pgTop = (await stats?.top()) ?? null;
  outcome.rssMb = maxRssByGroup(groups());
  const r = outcome.result;
  log(`${sc.id}: ${r.rps} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, non-2xx ${r.non2xx}, cpu ${JSON.stringify(r.cpu.perGroup)} outside ${r.cpu.outside} machine ${r.cpu.machine} % steal ${r.cpu.steal} % → ${verdict(outcome)}`);
  if (r.sample !== '') log(`  first error answer: ${r.sample.slice(0, 200)}`);
  return outcome;
}

