import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BenchReport, ScenarioOutcome } from './report.ts';

/**
 * Two or more results files side by side (docs/benchmarks.md#comparing-runs), e.g. the same
 * settings on both engines:
 *
 *   node bench/src/compare.ts bench/results/pg.json bench/results/mongo.json
 *
 * Prints a markdown table: per scenario, req/s and p99 of each run (with errors, if any), then each
 * run's settings and load averages, so a table pasted in the docs says how it was measured.
 */

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function errors(o: ScenarioOutcome): number {
  const r = o.result;
  if (r === null) return 0;
  return r.non2xx + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;
}

function cells(o: ScenarioOutcome | undefined): [string, string] {
  if (o === undefined) return ['not run', '–'];
  if (o.result === null) return [o.unavailable ?? 'not run', '–'];
  const e = errors(o);
  return [`${fmt(o.result.rps, o.result.rps < 10 ? 1 : 0)}${e > 0 ? ` (${fmt(e)} errors)` : ''}`, fmt(o.result.latencyMs.p99, 1)];
}

export function label(rep: BenchReport, file: string): string {
  return `${rep.settings.engine ?? 'postgresql'} (${basename(file, '.json')})`;
}

export function compareMarkdown(runs: { file: string; report: BenchReport }[]): string {
  const lines: string[] = [];
  const heads = runs.map((r) => label(r.report, r.file));
  lines.push(`| scenario | ${heads.map((h) => `${h} req/s | p99 ms`).join(' | ')} |`);
  lines.push(`|---|${runs.map(() => '---:|---:').join('|')}|`);
  // Scenarios in the order of the first run that has them.
  const order: { id: string; title: string }[] = [];
  for (const { report } of runs) for (const o of report.scenarios) if (!order.some((x) => x.id === o.id)) order.push({ id: o.id, title: o.title });
  for (const { id, title } of order) {
    const row = runs.flatMap(({ report }) => cells(report.scenarios.find((o) => o.id === id)));
    lines.push(`| ${title} (\`${id}\`) | ${row.join(' | ')} |`);
  }
  lines.push('');
  for (const [i, { report: rep }] of runs.entries()) {
    const s = rep.settings;
    const m = rep.machine;
    lines.push(
      `- ${heads[i]}: \`${rep.command}\`, ${rep.startedAt} → ${rep.finishedAt}; ${s.durationS} s per scenario after ${s.warmupS} s warm-up, ${s.connections} connections; ` +
        `${s.apiWorkers} API workers, audit ${s.audit}; seed ${fmt(s.seedSeconds)} s${s.scale === undefined || s.scale === 1 ? '' : ` at scale ${s.scale}`}; ` +
        `load average (1, 5, 15 min) ${m.loadAtStart.join(', ')} at start, ${m.loadAtEnd.join(', ')} at end`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function main(files: string[]): void {
  if (files.length < 2 || files.includes('--help') || files.includes('-h')) {
    process.stdout.write('usage: node bench/src/compare.ts <results.json> <results.json> [...]\n');
    process.exit(files.length < 2 ? 2 : 0);
  }
  const runs = files.map((file) => ({ file, report: JSON.parse(readFileSync(file, 'utf8')) as BenchReport }));
  process.stdout.write(compareMarkdown(runs));
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
