import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BenchReport } from './report.ts';

/**
 * Issue #10's goals against full `bench/run` results (docs/benchmarks.md#latest-run): each goal is a
 * fraction of the same run's fastify yardstick (the mean of its runs before and after the
 * scenarios), and the issue asks for the median of three runs, and each run.
 *
 *   node bench/src/issue-goals.ts bench/results/a.json bench/results/b.json bench/results/c.json
 *
 * Prints a markdown table: per scenario, each run's req/s and share of its yardstick, the median
 * share, the goal and the verdict; then the largest API worker and master RSS of each run.
 */

interface Goal {
  /** Fraction of the yardstick, in %. */
  share: number;
  /** p99 bound in ms, when the issue sets one. */
  p99?: number;
}

const GOALS: Readonly<Record<string, Goal>> = {
  'events.create-personal': { share: 6, p99: 25 },
  'events.create-restricted': { share: 6, p99: 25 },
  'events.get-none-personal': { share: 4.5 },
  'events.get-parent-personal': { share: 4.5 },
  'events.get-range-personal': { share: 4.5 },
  'events.get-none-restricted': { share: 4.5 },
  'events.get-parent-restricted': { share: 4.5 },
  'events.get-range-restricted': { share: 4.5 },
  'events.get-content-eq': { share: 3 },
  'events.get-content-in16': { share: 3 },
  'events.get-content-prefix': { share: 3 },
  'events.get-content-range': { share: 3 },
  mixed: { share: 4 },
  'streams.create-flat': { share: 2 },
  'streams.create-nested': { share: 1.25 },
  'streams.update': { share: 2.5 },
  'series.write-10': { share: 20 },
  'series.write-100': { share: 10 },
  'series.write-1000': { share: 1.5 },
  'series.read-1000': { share: 10 },
  'series.read-10000': { share: 2.5 },
  'series.read-100000': { share: 0.5 },
  'attachments.download-100k': { share: 3 },
  'attachments.upload-1m': { share: 0.5 },
  'previews.cached-512': { share: 3 },
  'previews.first-512': { share: 0.15 },
};

const RSS_GOALS = { 'api workers': 150, master: 100 } as const;

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

function yardstick(rep: BenchReport): number {
  const runs = [rep.yardsticks.fastify, rep.yardsticks.fastifyAtEnd].flatMap((y) => (y?.result === undefined || y.result === null ? [] : [y.result.rps]));
  if (runs.length === 0) throw new Error('a run without the fastify yardstick: run bench/run without --no-yardsticks');
  return runs.reduce((a, b) => a + b, 0) / runs.length;
}

function main(files: string[]): void {
  if (files.length === 0) throw new Error('usage: node bench/src/issue-goals.ts <results.json> …');
  const reps = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchReport);
  const sticks = reps.map(yardstick);
  const lines: string[] = [];
  lines.push(`Runs: ${files.map((f, i) => `${basename(f, '.json')} (yardstick ${fmt(sticks[i] ?? 0)} req/s)`).join(', ')}.`, '');
  lines.push(`| scenario | ${reps.map((_r, i) => `run ${i + 1}: req/s (share), p99 ms`).join(' | ')} | median share | goal | verdict |`);
  lines.push(`|---|${reps.map(() => '---:|').join('')}---:|---|---|`);
  let met = 0;
  for (const [id, goal] of Object.entries(GOALS)) {
    const outcomes = reps.map((r) => r.scenarios.find((s) => s.id === id)?.result ?? null);
    if (outcomes.some((o) => o === null)) continue;
    const shares = outcomes.map((o, i) => ((o?.rps ?? 0) / (sticks[i] ?? 1)) * 100);
    const p99s = outcomes.map((o) => o?.latencyMs.p99 ?? 0);
    const share = median(shares);
    const ok = share >= goal.share && (goal.p99 === undefined || median(p99s) <= goal.p99);
    if (ok) met += 1;
    const cells = outcomes.map((o, i) => `${fmt(o?.rps ?? 0)} (${fmt(shares[i] ?? 0, 1)} %), ${fmt(p99s[i] ?? 0, 1)}`);
    const want = `≥ ${goal.share} %${goal.p99 === undefined ? '' : `, p99 ≤ ${goal.p99} ms`}`;
    lines.push(`| ${id} | ${cells.join(' | ')} | ${fmt(share, 1)} % | ${want} | ${ok ? 'met' : `**not met** (${fmt((share / goal.share) * 100)} % of it)`} |`);
  }
  lines.push('', `${met} of ${Object.keys(GOALS).length} throughput goals met on the median.`, '');
  for (const [role, limit] of Object.entries(RSS_GOALS)) {
    const peaks = reps.map((r) => Math.max(...r.scenarios.map((s) => s.rssMb?.[role] ?? 0)));
    lines.push(`- Largest ${role === 'master' ? 'master' : 'API worker'} RSS (goal ≤ ${limit} MB): ${peaks.map((p) => `${fmt(p)} MB`).join(', ')}.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2));
