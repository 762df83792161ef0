import type { MachineFacts, Versions } from './machine.ts';
import type { StatementStat } from './pg-stats.ts';
import type { Goal } from './scenarios.ts';
import type { WrkResult } from './wrk.ts';
import type { BackgroundStats } from './login-storm.ts';
import type { FastifyYardstick, PgbenchYardstick } from './yardsticks.ts';

export interface ScenarioOutcome {
  id: string;
  group: string;
  title: string;
  detail: string;
  goal: Goal | null;
  connections: number;
  /** null = not run, with the reason. */
  result: WrkResult | null;
  unavailable: string | null;
  /** Streams of user A when the scenario started (every request loads the whole tree). */
  streamsAtStart: number | null;
  pgTop: StatementStat[] | null;
  /** Scenarios with a background load: the same requests measured without it, and what it did. */
  quiet?: WrkResult | null;
  background?: BackgroundStats | null;
  maxP99Ratio?: number;
  /** The largest resident memory (MB) of one process of each role, right after the run. */
  rssMb?: Record<string, number>;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  settings: {
    mode: 'started core' | 'running core (--url)';
    url: string;
    durationS: number;
    warmupS: number;
    connections: number;
    wrkThreads: number;
    apiWorkers: number | string;
    hfsWorkers: number | string;
    pgPoolSizePerWorker: number | string;
    logLevel: string;
    /** audit.enabled of the core: on | off | unknown (--url). */
    audit: string;
    /** storages.engine of the core: postgresql | mongodb | unknown (--url); absent in older results. */
    engine?: string;
    /** --scale of the seed (events per user × it); absent in older results = 1. */
    scale?: number;
    pgStats: boolean;
    cpuProf: boolean;
    seedSeconds: number;
    analyzedAfterSeed: boolean;
    seededCounts: Record<string, number>;
    series: string;
  };
  versions: Versions;
  machine: MachineFacts;
  yardsticks: { fastify: FastifyYardstick | null; fastifyAtEnd: FastifyYardstick | null; pgbench: PgbenchYardstick | null; skipped: string | null };
  scenarios: ScenarioOutcome[];
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function verdict(o: ScenarioOutcome): string {
  if (o.result === null) return o.unavailable ?? 'not run';
  if (o.quiet !== undefined && o.quiet !== null && o.maxP99Ratio !== undefined) {
    const ratio = o.result.latencyMs.p99 / Math.max(o.quiet.latencyMs.p99, 0.01);
    return `${ratio <= o.maxP99Ratio ? 'met' : '**not met**'} (p99 ${fmt(ratio, 2)} × quiet ${fmt(o.quiet.latencyMs.p99, 2)} ms; goal ≤ ${o.maxP99Ratio} ×)`;
  }
  if (o.goal === null) return '';
  const r = o.result;
  const errors = r.non2xx + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;
  const misses: string[] = [];
  if (r.rps < o.goal.rps) misses.push(`${Math.round((r.rps / o.goal.rps) * 100)} % of req/s`);
  if (o.goal.p99Ms !== undefined && r.latencyMs.p99 > o.goal.p99Ms) misses.push('p99');
  if (errors > 0) misses.push('errors');
  return misses.length === 0 ? 'met' : `**not met** (${misses.join(', ')})`;
}

function goalText(g: Goal | null): string {
  if (g === null) return '';
  return `≥ ${fmt(g.rps)}${g.p99Ms === undefined ? '' : `, p99 ≤ ${g.p99Ms} ms`}`;
}

function errorsText(r: WrkResult): string {
  const sock = r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;
  const parts: string[] = [];
  if (r.non2xx > 0) parts.push(`${fmt(r.non2xx)} (${Object.entries(r.statuses).map(([s, n]) => `${n}× ${s}`).join(', ')})`);
  if (sock > 0) parts.push(`${sock} socket`);
  return parts.length === 0 ? '0' : parts.join(' + ');
}

const cpuOf = (r: WrkResult, group: string): string => {
  const v = r.cpu.perGroup[group];
  return v === undefined ? '–' : `${fmt(v)}`;
};

export function renderMarkdown(rep: BenchReport): string {
  const s = rep.settings;
  const m = rep.machine;
  const v = rep.versions;
  const fy = rep.yardsticks.fastify;
  const lines: string[] = [];
  lines.push(`# Benchmark run ${rep.startedAt}`, '');
  lines.push(`Command: \`${rep.command}\` — ${s.mode}, ${s.url}`, '');
  lines.push('| scenario | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | goal req/s | verdict | CPU % wrk / api / pg / rest of core / outside · machine (steal) |');
  lines.push('|---|---:|---:|---:|---:|---:|---|---|---|---|');
  for (const o of rep.scenarios) {
    const r = o.result;
    if (r === null) {
      lines.push(`| ${o.title} | – | – | – | – | – | – | ${goalText(o.goal)} | ${verdict(o)} | |`);
      continue;
    }
    const l = r.latencyMs;
    const rest = Object.entries(r.cpu.perGroup).filter(([k]) => !['wrk', 'api workers', 'postgresql'].includes(k)).reduce((a, [, v]) => a + v, 0);
    const cpu = `${cpuOf(r, 'wrk')} / ${cpuOf(r, 'api workers')} / ${cpuOf(r, 'postgresql')} / ${fmt(rest)} / ${fmt(r.cpu.outside)} · ${fmt(r.cpu.machine)}${r.cpu.steal >= 0.5 ? ` (${fmt(r.cpu.steal)})` : ''}`;
    lines.push(`| ${o.title} | ${fmt(r.rps)} | ${fmt(l.p50, 2)} | ${fmt(l.p95, 2)} | ${fmt(l.p99, 2)} | ${fmt(l.max, 1)} | ${errorsText(r)} | ${goalText(o.goal)} | ${verdict(o)} | ${cpu} |`);
  }
  lines.push('');
  for (const o of rep.scenarios) {
    if (o.background === undefined || o.background === null) continue;
    const b = o.background;
    const q = o.quiet;
    lines.push(`Background of ${o.id}: ${b.what}: ${fmt(b.sent)} sent in ${b.seconds} s (${b.ratePerS}/s), answers ${Object.entries(b.statuses).map(([k, n]) => `${n}× ${k}`).join(', ')}, ${b.inFlight} unanswered at the end${q === null || q === undefined ? '' : `; quiet run ${fmt(q.rps)} req/s, p50 ${fmt(q.latencyMs.p50, 2)} ms, p99 ${fmt(q.latencyMs.p99, 2)} ms`}.`, '');
  }
  lines.push('CPU: % of one core over the run (100 = one core busy): wrk; the API workers; PostgreSQL (all its processes); the rest of the core (master, rqlited, HFS and previews workers); outside = everything else on the machine (other users, kernel threads); machine = busy share of all cores, with the hypervisor\'s steal in brackets when ≥ 0.5 %. Latencies are wrk\'s own percentiles.', '');

  lines.push(...memoryLines(rep.scenarios));
  lines.push('## Yardsticks (same run)', '');
  if (rep.yardsticks.skipped !== null) lines.push(`Skipped: ${rep.yardsticks.skipped}`, '');
  const fyEnd = rep.yardsticks.fastifyAtEnd;
  for (const [when, y] of [['before the scenarios', fy], ['after them', fyEnd]] as const) {
    if (y === null) continue;
    const r = y.result;
    lines.push(`- **Trivial fastify route**, ${when} (\`GET /hello\` → \`{hello, time}\`, fastify ${v.fastify}, node:cluster ×${y.workers}, no logging), same wrk settings: **${fmt(r.rps)} req/s**, p50 ${fmt(r.latencyMs.p50, 2)} ms, p99 ${fmt(r.latencyMs.p99, 2)} ms, errors ${errorsText(r)}; CPU wrk ${cpuOf(r, 'wrk')} %, server ${cpuOf(r, 'fastify yardstick')} %, machine ${fmt(r.cpu.machine)} %.`);
  }
  const pb = rep.yardsticks.pgbench;
  if (pb !== null) {
    lines.push(`- **PostgreSQL single-row INSERT** (\`${pb.statement}\`, bigserial PK) with pgbench on the core's PostgreSQL ${v.postgresql}, \`-n -M prepared -c ${pb.clients} -j ${pb.jobs} -T ${pb.seconds}\`, synchronous_commit=${pb.synchronousCommit} (as the core runs it): **${fmt(pb.tps)} tps**, latency average ${pb.latencyAvgMs} ms; CPU pgbench ${fmt(pb.cpu.perGroup['pgbench'] ?? 0)} %, postgresql ${fmt(pb.cpu.perGroup['postgresql'] ?? 0)} %, machine ${fmt(pb.cpu.machine)} %.`);
  }
  lines.push('');
  if (fy !== null) {
    const ref = fyEnd === null ? fy.result.rps : (fy.result.rps + fyEnd.result.rps) / 2;
    lines.push(`As a fraction of the fastify yardstick (req/s ÷ ${fmt(ref)} req/s${fyEnd === null ? '' : ', the mean of its two runs'}):`, '');
    const parts = rep.scenarios.filter((o) => o.result !== null).map((o) => `${o.id} ${fmt(((o.result?.rps ?? 0) / ref) * 100, 1)} %`);
    lines.push(parts.join(' · '), '');
  }

  lines.push('## Settings', '');
  lines.push(`- duration ${s.durationS} s per scenario after a ${s.warmupS} s unrecorded warm-up with the same script; wrk ${s.wrkThreads} thread(s), ${s.connections} connections unless the scenario says otherwise; wrk's own timeout counts as an error`);
  lines.push(`- core: storages.engine ${s.engine ?? 'postgresql'}, ${s.apiWorkers} API workers, ${s.hfsWorkers} HFS worker(s), PostgreSQL pool ${s.pgPoolSizePerWorker} per worker, logging.level ${s.logLevel}, audit trail ${s.audit}, everything else as config/default.yml${s.pgStats ? '; pg_stat_statements preloaded' : ''}${s.cpuProf ? '; --cpu-prof on' : ''}`);
  const sc = s.scale ?? 1;
  const per = (n: number): string => fmt(Math.max(1, Math.round(n * sc)));
  lines.push(`- seed (${s.seedSeconds} s, public API only${sc === 1 ? '' : `, --scale ${sc}`}): 2 users × (70 streams: 5 trees of 10 + 20 flat; ${per(5000)} events over 50 days; ${per(2000)} medication/intake events with object content 50–70 days back; 1 series event); user A's shared access has 10 \`contribute\` permissions (t0 and f0…f8, 19 readable streams); series: ${s.series}; ${s.analyzedAfterSeed ? 'then VACUUM ANALYZE (what autovacuum does within a minute of a bulk load)' : 'no ANALYZE after seeding (PostgreSQL unknown)'}`);
  lines.push(`- events.get answers right after seeding (events returned): ${Object.entries(s.seededCounts).map(([k, n]) => `${k}: ${n}`).join('; ')}`);
  lines.push('');
  lines.push('| scenario | connections | requests | bytes/answer | streams of user A at start | what |');
  lines.push('|---|---:|---:|---:|---:|---|');
  for (const o of rep.scenarios) {
    const r = o.result;
    lines.push(`| ${o.id} | ${o.connections} | ${r === null ? '–' : fmt(r.requests)} | ${r === null || r.requests === 0 ? '–' : fmt(r.bytes / r.requests)} | ${o.streamsAtStart ?? '–'} | ${o.detail} |`);
  }
  lines.push('');
  lines.push('## Versions and machine', '');
  lines.push(`- homecore ${v.homecore}; Node ${v.node}; fastify ${v.fastify}; PostgreSQL ${v.postgresql}; rqlited ${v.rqlited}; ${v.wrk}; ${v.pgbench}`);
  lines.push(`- ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Linux ${m.kernel}`);
  lines.push(`- load average (1, 5, 15 min) at start ${m.loadAtStart.join(', ')}; at end ${m.loadAtEnd.join(', ')}; quiet check: ${m.quietCheck}`);
  lines.push(`- started ${rep.startedAt}, finished ${rep.finishedAt}`);
  const withStats = rep.scenarios.filter((o) => o.pgTop !== null && o.pgTop.length > 0);
  if (withStats.length > 0) {
    lines.push('', '## pg_stat_statements, top statements per scenario', '');
    for (const o of withStats) {
      lines.push(`### ${o.id}`, '', '| calls | total exec ms | exec ms/call | plan ms/call | rows/call | hit % | statement |', '|---:|---:|---:|---:|---:|---:|---|');
      for (const t of o.pgTop ?? []) lines.push(`| ${fmt(t.calls)} | ${fmt(t.totalMs)} | ${t.meanMs} | ${t.meanPlanMs} | ${t.rowsPerCall} | ${t.sharedHitPct} | \`${t.query.replaceAll('|', '\\|')}\` |`);
      lines.push('');
    }
  }
  const samples = rep.scenarios.filter((o) => o.result !== null && o.result.sample !== '');
  if (samples.length > 0) {
    lines.push('', '## First error answer per scenario', '');
    for (const o of samples) lines.push(`- ${o.id}: \`${(o.result?.sample ?? '').replaceAll('`', "'").slice(0, 300)}\``);
  }
  return `${lines.join('\n')}\n`;
}

/** RSS per process after each scenario: the issue's limits are ≤ 150 MB per API worker, ≤ 100 MB for the master. */
function memoryLines(outcomes: ScenarioOutcome[]): string[] {
  const roles = ['api workers', 'master', 'hfs workers', 'previews worker'];
  const rows = outcomes.filter((o) => o.rssMb !== undefined && o.result !== null);
  if (rows.length === 0) return [];
  const peak = (role: string): number => Math.max(0, ...rows.map((o) => o.rssMb?.[role] ?? 0));
  const out = ['## Memory', '', `Resident memory (RSS, MB) of the largest process of each role, right after each scenario's run. Peak: API worker ${fmt(peak('api workers'))} (goal ≤ 150), master ${fmt(peak('master'))} (goal ≤ 100).`, ''];
  out.push(`| scenario | ${roles.join(' | ')} |`, `|---|${roles.map(() => '---:').join('|')}|`);
  for (const o of rows) out.push(`| ${o.id} | ${roles.map((r) => (o.rssMb?.[r] === undefined ? '–' : fmt(o.rssMb[r] ?? 0))).join(' | ')} |`);
  out.push('');
  return out;
}
