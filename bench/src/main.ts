/**
 * bench/run's driver (docs/benchmarks.md): core → seed → scenarios with wrk → yardsticks → results.
 * Runs as TypeScript through Node 22's type stripping; `tsc -p bench` type-checks it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { parseOptions, UsageError, USAGE, type BenchOptions } from './args.ts';
import { killCoreSync, releaseCore, restartWithCpuProfiles, startCore, stopCore, type StartedCore } from './core.ts';
import { load, machineFacts, versions } from './machine.ts';
import { PgStats } from './pg-stats.ts';
import { renderMarkdown, type BenchReport } from './report.ts';
import { coreGroups, runScenario } from './run-scenario.ts';
import { SCENARIOS } from './scenarios.ts';
import { seed } from './seed.ts';
import { runAuditCost } from './audit-cost.ts';
import { runScaleTest } from './scale.ts';
import { fastifyYardstick, pgbenchYardstick, type PgTarget } from './yardsticks.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (m: string): void => void process.stderr.write(`bench: ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

/** Until the 1-min load average is under `below`, re-checking every minute, at most `minutes`. */
async function waitQuiet(below: number, minutes: number): Promise<{ waitedMinutes: number; quiet: boolean }> {
  const started = Date.now();
  const deadline = started + minutes * 60_000;
  while ((load()[0] ?? 0) >= below) {
    if (Date.now() >= deadline) {
      log(`load average still ${load().join(', ')} after ${minutes} min: running anyway (recorded in the results)`);
      return { waitedMinutes: Math.round((Date.now() - started) / 60_000), quiet: false };
    }
    log(`load average ${load().join(', ')} ≥ ${below}: waiting a minute`);
    await sleep(60_000);
  }
  return { waitedMinutes: Math.round((Date.now() - started) / 60_000), quiet: true };
}

function configDefaults(o: BenchOptions): { apiWorkers: number; hfsWorkers: number; poolSize: number; logLevel: string } {
  const c = parseYaml(readFileSync(join(ROOT, 'config', 'default.yml'), 'utf8')) as {
    cluster: { apiWorkers: number; hfsWorkers: number }; storages: { postgresql: { poolSize: number } }; logging: { level: string };
  };
  return {
    apiWorkers: o.apiWorkers ?? c.cluster.apiWorkers,
    hfsWorkers: c.cluster.hfsWorkers,
    poolSize: c.storages.postgresql.poolSize,
    logLevel: o.logLevel ?? c.logging.level,
  };
}

async function main(): Promise<void> {
  // The audit trail's A/B (its own small seed and cores): bench/src/audit-cost.ts.
  if (process.argv.includes('--audit-cost')) {
    process.on('exit', () => killCoreSync());
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
    await runAuditCost(ROOT, process.argv.slice(2));
    return;
  }
  // The scale benchmark (docs/benchmarks.md#scale): its own options, seed and results.
  if (process.argv.includes('--scale-test')) {
    process.on('exit', () => killCoreSync());
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
    await runScaleTest(ROOT, process.argv.slice(2));
    return;
  }
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const o = parsed;
  const loadAtInvocation = load();
  const waited = o.waitQuiet > 0 ? await waitQuiet(o.waitQuiet, o.waitQuietMinutes) : null;
  const started = new Date();
  const facts = machineFacts();
  const name = o.out ?? `${stamp(started)}${o.quick ? '-quick' : ''}`;
  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const scriptDir = mkdtempSync(join(tmpdir(), 'homecore-bench-lua-'));
  const defaults = configDefaults(o);
  const pgbench = process.env['BENCH_PGBENCH'] ?? null;

  let core: StartedCore | null = null;
  process.on('exit', () => killCoreSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

  if (o.engine === 'mongodb') process.env['BENCH_SEED_SLOW'] = '1';
  process.env['BENCH_SEED_SCALE'] = String(o.scale);
  if (o.url === null) {
    log('starting a fresh core');
    core = await startCore({ root: ROOT, apiWorkers: o.apiWorkers, logLevel: o.logLevel, pgStats: o.pgStats, audit: o.audit, engine: o.engine, extraEnv: o.coreEnv });
    log(`core up at ${core.apiUrl} (var dir ${core.varDir}, log ${core.logFile})`);
  }
  const apiUrl = core?.apiUrl ?? o.url ?? '';
  let pgTarget: PgTarget | null = core !== null && core.engine === 'postgresql' ? core.pg : null;
  if (pgTarget === null && o.pgUrl !== null) {
    const u = new URL(o.pgUrl);
    pgTarget = { host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }
  const groups = coreGroups(core);
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: '',
    command: `bench/run ${process.argv.slice(2).join(' ')}`.trim(),
    settings: {
      mode: core === null ? 'running core (--url)' : 'started core',
      url: apiUrl,
      durationS: o.duration,
      warmupS: o.warmup,
      connections: o.connections,
      wrkThreads: o.threads,
      apiWorkers: core === null ? 'unknown (--url)' : defaults.apiWorkers,
      hfsWorkers: core === null ? 'unknown (--url)' : defaults.hfsWorkers,
      pgPoolSizePerWorker: core === null ? 'unknown (--url)' : defaults.poolSize,
      logLevel: core === null ? 'unknown (--url)' : defaults.logLevel,
      audit: core === null ? 'unknown (--url)' : o.audit === false ? 'off' : 'on',
      engine: core === null ? 'unknown (--url)' : core.engine,
      scale: o.scale,
      pgStats: o.pgStats,
      cpuProf: o.cpuProf,
      seedSeconds: 0,
      analyzedAfterSeed: false,
      seededCounts: {},
      series: '',
    },
    versions: await versions(ROOT, { pg: pgTarget, rqliteUrl: core === null ? null : `http://127.0.0.1:${core.ports.rqliteHttp}/`, pgbench }),
    machine: {
      ...facts,
      loadAtEnd: [],
      quietCheck: waited === null
        ? 'none (--wait-quiet 0)'
        : `1-min load < ${o.waitQuiet} wanted; load ${loadAtInvocation.join(', ')} when invoked; ${waited.quiet ? `quiet after ${waited.waitedMinutes} min` : `still busy after ${waited.waitedMinutes} min, ran anyway`}`,
    },
    yardsticks: { fastify: null, fastifyAtEnd: null, pgbench: null, skipped: null },
    scenarios: [],
  };

  // Run at the start and again at the end: on a shared VM the machine itself drifts during a run.
  const fastifySettings = { workers: typeof defaults.apiWorkers === 'number' ? defaults.apiWorkers : 2, duration: o.duration, connections: o.connections, threads: o.threads, scriptDir };
  try {
    if (!o.skipYardsticks) {
      log('yardstick: trivial fastify route');
      report.yardsticks.fastify = await fastifyYardstick(fastifySettings);
      log(`  ${report.yardsticks.fastify.result.rps} req/s`);
    }

    log('seeding through the public API');
    const data = await seed(apiUrl, core?.hfsUrl ?? null, log, o.seriesPort);
    if (core !== null) data.previewsBase = `http://127.0.0.1:${core.ports.previews}/`;
    report.settings.seedSeconds = data.seconds;
    report.settings.seededCounts = data.counts;
    report.settings.series = data.series.available ? `routes at ${data.series.base}` : `not available (${data.series.status}: ${data.series.detail.slice(0, 120)})`;

    if (pgTarget !== null) {
      // Right after a bulk load the planner has no statistics on the new rows (and GIN pending lists
      // are full); autovacuum would VACUUM ANALYZE within a minute or so. Measure the steady state,
      // not that window (docs/benchmarks.md).
      const c = new pg.Client(pgTarget);
      await c.connect();
      await c.query('VACUUM ANALYZE');
      await c.end();
      report.settings.analyzedAfterSeed = true;
    }
    if (o.cpuProf && core !== null) {
      const dir = join(resultsDir, `${name}-cpuprofiles`);
      log(`restarting the core with --cpu-prof (profiles in ${dir}; summary: node bench/src/profile-summary.ts ${dir})`);
      await restartWithCpuProfiles(core, ROOT, dir);
    }
    const stats = o.pgStats && core !== null ? new PgStats({ ...core.pg, user: 'postgres', password: core.superuserPassword() }) : null;
    await stats?.open();
    for (const sc of SCENARIOS) {
      if (o.only === null || o.only.test(sc.id)) report.scenarios.push(await runScenario(sc, { o, data, scriptDir, groups, stats }));
    }
    await stats?.close();

    if (!o.skipYardsticks) {
      log('yardstick: trivial fastify route, again');
      report.yardsticks.fastifyAtEnd = await fastifyYardstick(fastifySettings);
      log(`  ${report.yardsticks.fastifyAtEnd.result.rps} req/s`);
      if (pgbench === null) report.yardsticks.skipped = 'no pgbench (run through bench/run, which installs it)';
      else if (core?.engine === 'mongodb') report.yardsticks.skipped = 'pgbench: the core runs on the mongodb engine (--engine mongodb)';
      else if (pgTarget === null) report.yardsticks.skipped = 'pgbench: the PostgreSQL of a --url core is unknown (give --pg-url)';
      else {
        log('yardstick: pgbench single-row INSERT');
        report.yardsticks.pgbench = await pgbenchYardstick({ pgbench, target: pgTarget, duration: o.duration, clients: o.connections, scriptDir, groups });
        log(`  ${report.yardsticks.pgbench.tps} tps (synchronous_commit=${report.yardsticks.pgbench.synchronousCommit})`);
      }
    } else {
      report.yardsticks.skipped = '--no-yardsticks';
    }
  } finally {
    report.machine.loadAtEnd = load();
    report.finishedAt = new Date().toISOString();
    if (core !== null) {
      if (o.keepCore) {
        releaseCore();
        log(`core left running: ${core.apiUrl} (master pid ${core.masterPid}, var dir ${core.varDir}, PostgreSQL port ${core.ports.pg}, superuser password in ${core.varDir}/secrets/postgresql-superuser); stop it with kill ${core.masterPid}`);
      } else await stopCore(core, true);
    }
    rmSync(scriptDir, { recursive: true, force: true });
    const md = join(resultsDir, `${name}.md`);
    writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(md, renderMarkdown(report));
    log(`results: ${md} (+ .json)`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    log(`${err.message} (bench/run --help lists the options)`);
    process.exit(2);
  }
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
