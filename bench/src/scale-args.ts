import { parseArgs } from 'node:util';
import { UsageError, withUsageErrors } from './args.ts';

/** bench/run --scale-test (docs/benchmarks.md#scale): the sizes and how the run is measured. */
export interface ScaleOptions {
  /** Users registered on the core (default 10,000: the per-core limit of Pryv.io's sizing guide). */
  users: number;
  /** Events in total over those users, through batch calls of events.create (default 10 million). */
  events: number;
  /** The big user's streams (70 of the small layout + the rest) and events. */
  bigUserStreams: number;
  bigUserEvents: number;
  /** events.create calls per batch call (the batch limit is 1,000). */
  batchSize: number;
  /** Batch calls in flight while seeding events; registrations in flight. */
  seedConcurrency: number;
  registerConcurrency: number;
  duration: number;
  warmup: number;
  connections: number;
  threads: number;
  /** Scenario ids matching it run; default: the reads, creates and streams.update (SCALE_SCENARIOS). */
  only: RegExp | null;
  apiWorkers: number | null;
  keepCore: boolean;
  out: string | null;
  /** --render <results.json>: only write its .md and .svg again (no core, no run). */
  render: string | null;
}

export const SCALE_USAGE = `bench/run --scale-test [options]

  Seeds a fresh core through the public API (registration, then batch calls of events.create) with
  --users users holding --events events in total, plus one big user, then runs the same scenarios as
  the small data set on the small users (before and after), a random user and the big user.
  Writes bench/results/<date>-scale.json, .md and .svg (docs/benchmarks.md#scale).

  --users <n>                users on the core (default 10000)
  --events <n>               events in total over those users (default 10000000)
  --big-user-streams <n>     streams of the big user (default 10000; at least 70)
  --big-user-events <n>      events of the big user (default 1000000)
  --batch-size <n>           events.create calls per batch call (default 1000, at most 1000)
  --seed-concurrency <n>     batch calls in flight while seeding (default 4)
  --register-concurrency <n> registrations in flight (default 4; each costs one scrypt on the core)
  --duration <s>             seconds per scenario (default 10)
  --warmup <s>               unrecorded run before each scenario (default 2)
  --connections <n>          wrk connections (default 10)
  --threads <n>              wrk threads (default 1)
  --only <regexp>            only these scenario ids (default: events.get-*-personal|restricted,
                             events.create-*, streams.update)
  --api-workers <n>          cluster.apiWorkers of the started core (default: the config default)
  --keep-core                leave the core running at the end
  --out <name>               results file name without extension (default: <date>-scale)
  --render <file.json>       no run: write the .md and .svg of an earlier results JSON again
`;

function int(v: string | undefined, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  // 10_000_000 and 1e7 are both accepted: sizes are typed by hand.
  const n = Number(v.replaceAll('_', ''));
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: expected a whole number from ${min.toLocaleString('en')}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max.toLocaleString('en')}`}, got "${v}"`);
  }
  return n;
}

export function parseScaleOptions(argv: string[]): ScaleOptions | 'help' {
  return withUsageErrors(() => checked(argv));
}

function checked(argv: string[]): ScaleOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'scale-test': { type: 'boolean', default: false },
      users: { type: 'string' },
      events: { type: 'string' },
      'big-user-streams': { type: 'string' },
      'big-user-events': { type: 'string' },
      'batch-size': { type: 'string' },
      'seed-concurrency': { type: 'string' },
      'register-concurrency': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      only: { type: 'string' },
      'api-workers': { type: 'string' },
      'keep-core': { type: 'boolean', default: false },
      out: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0] ?? ''}"`);
  if (values.help === true) return 'help';
  const users = int(values.users, 'users', 10_000, 2);
  const events = int(values.events, 'events', 10_000_000, 0);
  const threads = int(values.threads, 'threads', 1, 1);
  const connections = int(values.connections, 'connections', 10, 1);
  if (connections < threads) throw new UsageError('--threads must be ≤ --connections');
  let only: RegExp | null = null;
  if (values.only !== undefined) {
    try {
      only = new RegExp(values.only);
    } catch (err) {
      throw new UsageError(`--only: ${(err as Error).message}`);
    }
  }
  return {
    users,
    events,
    bigUserStreams: int(values['big-user-streams'], 'big-user-streams', 10_000, 70),
    bigUserEvents: int(values['big-user-events'], 'big-user-events', 1_000_000, 0),
    batchSize: int(values['batch-size'], 'batch-size', 1000, 1, 1000),
    seedConcurrency: int(values['seed-concurrency'], 'seed-concurrency', 4, 1, 64),
    registerConcurrency: int(values['register-concurrency'], 'register-concurrency', 4, 1, 64),
    duration: int(values.duration, 'duration', 10, 1),
    warmup: int(values.warmup, 'warmup', 2, 0),
    connections,
    threads,
    only,
    apiWorkers: values['api-workers'] === undefined ? null : int(values['api-workers'], 'api-workers', 2, 1, 64),
    keepCore: values['keep-core'] === true,
    out: values.out ?? null,
    render: values.render ?? null,
  };
}
