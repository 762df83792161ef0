import type { ScaleReport, ScaleSet } from './scale.ts';
import type { PhaseStat } from './scale-seed.ts';

/** The scale bench's results as Markdown (bench/results/<name>.md), next to its JSON and SVG. */

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Throughput goal: ≥ 80 % of the small data set's req/s; latency goal: p99 ≤ 2 × its p99. */
export const GOAL_RPS_SHARE = 0.8;
export const GOAL_P99_RATIO = 2;

function phaseRow(name: string, unit: string, p: PhaseStat): string {
  const cpu = Object.entries(p.cpuSecondsPerCall).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(', ');
  const rate = p.seconds > 0 ? p.items / p.seconds : 0;
  return `| ${name} | ${fmt(p.items)} ${unit} | ${fmt(p.calls)} | ${fmt(p.seconds, 1)} | **${fmt(rate, rate < 10 ? 2 : 0)} ${unit}/s** | ${cpu} |`;
}

function cell(set: ScaleSet, base: ScaleSet, id: string): string {
  const o = set.scenarios.find((s) => s.id === id)?.result;
  const b = base.scenarios.find((s) => s.id === id)?.result;
  if (o === undefined || o === null) return 'not run';
  if (set === base || b === undefined || b === null || b.rps <= 0 || b.latencyMs.p99 <= 0) return `${fmt(o.rps)} req/s, p99 ${fmt(o.latencyMs.p99, 1)} ms`;
  const share = o.rps / b.rps;
  const ratio = o.latencyMs.p99 / b.latencyMs.p99;
  const ok = share >= GOAL_RPS_SHARE && ratio <= GOAL_P99_RATIO ? '✓' : '✗';
  const errors = o.non2xx > 0 ? `, **${fmt(o.non2xx)} non-2xx**` : '';
  return `${fmt(o.rps)} (${fmt(share * 100)} %), p99 ${fmt(o.latencyMs.p99, 1)} ms (${fmt(ratio, 1)}×) ${ok}${errors}`;
}

export function renderScaleMarkdown(r: ScaleReport, svgName: string): string {
  const s = r.settings;
  const out = [
    `# Scale bench ${r.startedAt}`,
    '',
    `Command: \`${r.command}\` (docs/benchmarks.md#scale). Started ${r.startedAt}, finished ${r.finishedAt}.`,
    '',
    `Scale: **${fmt(s.users)} users, ${fmt(s.events)} events** in total (${fmt(Math.floor(s.events / s.users))} per user), big user **${fmt(s.bigUserStreams)} streams × ${fmt(s.bigUserEvents)} events**; batch calls of ${s.batchSize} events.create, ${s.seedConcurrency} in flight; ${s.registerConcurrency} registrations in flight.`,
    `Scenarios: ${s.duration} s each after a ${s.warmup} s warm-up, ${s.connections} connections, ${s.threads} wrk thread(s); API workers: ${s.apiWorkers ?? 'config default'}.`,
    `Machine: ${r.machine.nproc} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB; load ${r.machine.loadAtStart.join(', ')} at the start, ${r.machine.loadAtEnd.join(', ')} at the end.`,
    '',
    '## Seeding through the public API',
    '',
  ];
  if (r.seeding === null) out.push('Not reached (the run stopped before the scale seed).', '');
  else {
    out.push(
      '| phase | items | calls | seconds | throughput | core CPU s per call (by role) |',
      '|---|---:|---:|---:|---:|---|',
      phaseRow('registration + 70 streams (1 batch call) per user', 'users', r.seeding.registrations),
      phaseRow('events: batch calls of events.create', 'events', r.seeding.events),
      phaseRow('big user: batch calls of streams.create', 'streams', r.seeding.bigUserStreams),
      phaseRow('big user: batch calls of events.create', 'events', r.seeding.bigUserEvents),
      '',
      `Small data set seed: ${fmt(r.seeding.smallSeconds, 1)} s. VACUUM ANALYZE after the scale seed: ${fmt(r.seeding.vacuumAnalyzeSeconds, 1)} s.`,
      'Registration and events are timed apart: a registration costs one scrypt on the core (per user), events cost none.',
      '',
    );
  }
  const base = r.sets.find((x) => x.id === 'small');
  out.push('## Scenarios', '');
  if (base === undefined) out.push('Not reached.');
  else {
    out.push(`Each cell: req/s (% of the small data set), p99 (× the small data set's); ✓ = within the goals (≥ ${GOAL_RPS_SHARE * 100} %, p99 ≤ ${GOAL_P99_RATIO}×).`, '');
    out.push(`| scenario | ${r.sets.map((x) => `${x.label} (${fmt(x.eventsPerUser)} events, ${fmt(x.streamsPerUser)} streams, ${fmt(x.usersOnCore)} users on the core)`).join(' | ')} |`);
    out.push(`|---|${r.sets.map(() => '---').join('|')}|`);
    for (const sc of base.scenarios) out.push(`| ${sc.id} | ${r.sets.map((x) => cell(x, base, sc.id)).join(' | ')} |`);
    out.push('', '### Events each read returns (checked before the scenarios)', '');
    for (const x of r.sets) out.push(`- ${x.label} (${x.users.join(', ')}): ${Object.entries(x.counts).map(([k, v]) => `${k} ${v}`).join('; ')}`);
    out.push('', `![scale plot](${svgName})`);
  }
  out.push('');
  return out.join('\n');
}
