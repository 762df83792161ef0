import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** API base of a running core (`http://host:port/`); null = start a fresh core. */
  url: string | null;
  /** PostgreSQL URL for the pgbench yardstick when --url is used (the bench knows its own core's). */
  pgUrl: string | null;
  duration: number;
  warmup: number;
  connections: number;
  threads: number;
  /** Scenario ids matching this regular expression run; null = all. */
  only: RegExp | null;
  apiWorkers: number | null;
  logLevel: string | null;
  /** --core-env: more HOMECORE_* settings of the started core (A/B of a setting). */
  coreEnv: Record<string, string>;
  /** audit.enabled of the started core (--audit on|off); null = the config default (on). */
  audit: boolean | null;
  /** --cpu-prof on every core process; the profiles land in bench/results/<date>-cpuprofiles/. */
  cpuProf: boolean;
  /** pg_stat_statements per scenario (embedded PostgreSQL restarted with it preloaded). */
  pgStats: boolean;
  skipYardsticks: boolean;
  /** Waits for the 1-min load average to drop under this before starting (0 = do not wait). */
  waitQuiet: number;
  waitQuietMinutes: number;
  keepCore: boolean;
  out: string | null;
  quick: boolean;
  /** storages.engine of the started core (--engine): the MongoDB one runs on its embedded FerretDB. */
  engine: 'postgresql' | 'mongodb';
  /** --scale: events per user (5,000 + 2,000 medication events) times this; series unchanged. */
  scale: number;
  /** Port the series scenarios (and the series seed) use first: the API port (default) or the HFS port. */
  seriesPort: 'api' | 'hfs';
}

export const USAGE = `bench/run [options]

  --url <base>          use a running core (API base, e.g. http://127.0.0.1:3000/) instead of starting one
  --pg-url <url>        with --url: PostgreSQL of that core, for VACUUM ANALYZE after seeding and pgbench (else skipped)
  --duration <s>        seconds per scenario (default 15)
  --quick               3 s per scenario, 1 s warm-up: checks the tooling, not the numbers
  --warmup <s>          unrecorded run before each scenario (default 2; quick: 1)
  --connections <n>     wrk connections (default 10; scenarios may set their own)
  --threads <n>         wrk threads (default 1: enough for ~50k req/s, see docs/benchmarks.md)
  --only <regexp>       only the scenarios whose id matches (yardsticks still run unless --no-yardsticks)
  --api-workers <n>     cluster.apiWorkers of the started core (default: the config default)
  --log-level <level>   logging.level of the started core (default: the config default)
  --core-env K=V        one more setting of the started core (repeatable; HOMECORE_* variables only, e.g.
                        HOMECORE_CLUSTER__WORKER_MEMORY__MALLOC_ARENA_MAX=2); recorded in the results
  --engine <name>       storages.engine of the started core: postgresql (default) or mongodb (embedded
                        FerretDB, docs/mongodb.md; no pgbench yardstick, no --pg-stats)
  --scale <f>           seed f × the events of each user (5,000 + 2,000 medication events; default 1; the
                        100,000-point series stay): smaller runs on the mongodb engine; compare equal scales
  --series-port api|hfs the port the series scenarios use (default api; hfs = the HFS worker's port)
  --audit on|off        audit.enabled of the started core (default on): run twice to see the audit trail's cost
  --audit-cost          instead of the scenarios: two cores side by side, audit off and on, one small seed,
                        events.create-personal and events.get-none-personal on each, alternately
                        (--duration s, --warmup s, --rounds n (even: each order as often), --connections n,
                        --api-workers n, --only re, --start-timeout s, --out name: also bench/results/<name>.md)
  --scale-test          instead: the scale benchmark (users × events seeded through batch calls, then the
                        scenarios on a random user and a big user); \`bench/run --scale-test --help\` lists its options
  --cpu-prof            run the started core with --cpu-prof (profiles kept next to the results)
  --pg-stats            preload pg_stat_statements in the started core's PostgreSQL; top statements per scenario
  --no-yardsticks       skip the fastify and pgbench yardsticks
  --wait-quiet <load>   first wait until the 1-min load average is below <load>, re-checking every minute
                        for up to --wait-minutes, then run anyway (default 0.7; quick: 0 = no wait)
  --wait-minutes <n>    default 20
  --keep-core           leave the started core running at the end (prints its URL and var dir)
  --out <name>          results file name without extension (default: the start date-time)
`;

/** A bad command line: bench/run prints its message on one line (no stack) and exits 2. */
export class UsageError extends Error {}

/** `--core-env KEY=VALUE` (repeatable): only HOMECORE_* keys, the core's own settings. */
export function coreEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, Math.max(eq, 0));
    if (eq < 1 || !key.startsWith('HOMECORE_')) throw new UsageError(`--core-env: expected HOMECORE_…=value, got "${pair}"`);
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name}: expected a number, got "${v}"`);
  return n;
}

function regexp(v: string | undefined): RegExp | null {
  if (v === undefined) return null;
  try {
    return new RegExp(v);
  } catch (err) {
    throw new UsageError(`--only: ${(err as Error).message}`);
  }
}

/** Runs an option parser; its bad flags and values (and node:util parseArgs errors) become a one-line UsageError. */
export function withUsageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    // node:util parseArgs errors (unknown flag, missing value) carry an ERR_PARSE_ARGS_* code.
    if (err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad arguments');
    }
    throw err;
  }
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  return withUsageErrors(() => checkedOptions(argv));
}

function checkedOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'pg-url': { type: 'string' },
      duration: { type: 'string' },
      quick: { type: 'boolean', default: false },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      only: { type: 'string' },
      'api-workers': { type: 'string' },
      'log-level': { type: 'string' },
      'core-env': { type: 'string', multiple: true },
      audit: { type: 'string' },
      engine: { type: 'string' },
      scale: { type: 'string' },
      'series-port': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'pg-stats': { type: 'boolean', default: false },
      'no-yardsticks': { type: 'boolean', default: false },
      'wait-quiet': { type: 'string' },
      'wait-minutes': { type: 'string' },
      'keep-core': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const quick = values.quick === true;
  let url = values.url ?? null;
  if (url !== null && !url.endsWith('/')) url += '/';
  const threads = num(values.threads, 'threads', 1);
  const connections = num(values.connections, 'connections', 10);
  if (threads < 1 || connections < threads) throw new UsageError('--threads must be ≥ 1 and ≤ --connections');
  if (values.audit !== undefined && values.audit !== 'on' && values.audit !== 'off') throw new UsageError(`--audit: expected on or off, got "${values.audit}"`);
  const engine = values.engine ?? 'postgresql';
  if (engine !== 'postgresql' && engine !== 'mongodb') throw new UsageError(`--engine: expected postgresql or mongodb, got "${engine}"`);
  if (engine === 'mongodb' && values['pg-stats'] === true) throw new UsageError('--pg-stats needs --engine postgresql');
  const scale = num(values.scale, 'scale', 1);
  if (scale <= 0 || scale > 10) throw new UsageError(`--scale: expected a factor in (0, 10], got "${values.scale ?? ''}"`);
  const seriesPort = values['series-port'] ?? 'api';
  if (seriesPort !== 'api' && seriesPort !== 'hfs') throw new UsageError(`--series-port: expected api or hfs, got "${seriesPort}"`);
  return {
    engine,
    scale,
    seriesPort,
    url,
    pgUrl: values['pg-url'] ?? null,
    duration: num(values.duration, 'duration', quick ? 3 : 15),
    warmup: num(values.warmup, 'warmup', quick ? 1 : 2),
    connections,
    threads,
    only: regexp(values.only),
    apiWorkers: values['api-workers'] === undefined ? null : num(values['api-workers'], 'api-workers', 2),
    logLevel: values['log-level'] ?? null,
    coreEnv: coreEnv(values['core-env'] ?? []),
    audit: values.audit === undefined ? null : values.audit === 'on',
    cpuProf: values['cpu-prof'] === true,
    pgStats: values['pg-stats'] === true,
    skipYardsticks: values['no-yardsticks'] === true,
    waitQuiet: num(values['wait-quiet'], 'wait-quiet', quick ? 0 : 0.7),
    waitQuietMinutes: num(values['wait-minutes'], 'wait-minutes', 20),
    keepCore: values['keep-core'] === true,
    out: values.out ?? null,
    quick,
  };
}
