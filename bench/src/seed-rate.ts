/**
 * Seeding throughput through the public batch API alone (docs/benchmarks.md#scale, issue #10): a
 * fresh core of the checkout at --root (default this one; any built checkout, for A/B between
 * commits), then the seeding phases of `bench/run --scale-test` (scale-seed.ts: registrations with
 * their 70 streams, events in batch calls of events.create interleaved over the users, a big user's
 * streams in batch calls of streams.create, then its events), without the scenarios. Prints each
 * phase's items/s and CPU seconds per batch call by process role, and the events phase as CPU
 * seconds per 1,000 events.
 * Usage: node bench/src/seed-rate.ts [--root <checkout>] [--users 8] [--events 100000]
 *   [--big-user-streams 1000] [--big-user-events 10000] [--batch-size 1000] [--seed-concurrency 4]
 *   [--api-workers <n>] [--cpu-prof <dir>] (the workers' profiles: bench/src/profile-summary.ts)
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { killCoreSync, restartWithCpuProfiles, startCore, stopCore } from './core.ts';
import { coreGroups } from './run-scenario.ts';
import { seedScale, type PhaseStat } from './scale-seed.ts';

const log = (m: string): void => void process.stderr.write(`seed-rate: ${m}\n`);

const { values } = parseArgs({
  options: {
    root: { type: 'string' }, users: { type: 'string' }, events: { type: 'string' }, 'big-user-streams': { type: 'string' }, 'big-user-events': { type: 'string' },
    'batch-size': { type: 'string' }, 'seed-concurrency': { type: 'string' }, 'api-workers': { type: 'string' }, 'cpu-prof': { type: 'string' },
  },
  strict: true,
});
const int = (v: string | undefined, name: string, dflt: number, min: number): number => {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: an integer ≥ ${min}`);
  return n;
};
const root = values.root ?? join(import.meta.dirname, '..', '..');
const o = {
  users: int(values.users, 'users', 8, 1),
  events: int(values.events, 'events', 100_000, 1),
  bigUserStreams: int(values['big-user-streams'], 'big-user-streams', 1000, 70),
  bigUserEvents: int(values['big-user-events'], 'big-user-events', 10_000, 1),
  batchSize: Math.min(1000, int(values['batch-size'], 'batch-size', 1000, 1)),
  seedConcurrency: int(values['seed-concurrency'], 'seed-concurrency', 4, 1),
  registerConcurrency: 4,
};
const apiWorkers = values['api-workers'] === undefined ? null : int(values['api-workers'], 'api-workers', 2, 1);

/** CPU seconds per 1,000 items of a phase, by role. */
function per1000(p: PhaseStat): Record<string, number> {
  const perCall = p.items / Math.max(p.calls, 1);
  return Object.fromEntries(Object.entries(p.cpuSecondsPerCall).map(([role, s]) => [role, Math.round((s / perCall) * 1000 * 1000) / 1000]));
}

process.on('exit', () => killCoreSync());
const core = await startCore({
  root, apiWorkers, logLevel: null, pgStats: false, audit: null,
  extraEnv: { HOMECORE_ATTEMPT_LIMITS__REGISTRATION_PER_ADDRESS__FREE: String(o.users + 100) },
  readyTimeoutMs: 300_000,
});
try {
  const cpuProf = values['cpu-prof'];
  if (cpuProf !== undefined) await restartWithCpuProfiles(core, root, cpuProf);
  log(`core of ${root} up; ${JSON.stringify(o)}`);
  const { phases } = await seedScale({ apiUrl: core.apiUrl, ...o, groups: coreGroups(core), log });
  const summary = {
    root,
    settings: o,
    eventsPerSecond: phases.events.perSecond,
    eventsCpuSecondsPer1000: per1000(phases.events),
    bigUserStreamsPerSecond: phases.bigUserStreams.perSecond,
    bigUserStreamsCpuSecondsPer1000: per1000(phases.bigUserStreams),
    bigUserEventsPerSecond: phases.bigUserEvents.perSecond,
    bigUserEventsCpuSecondsPer1000: per1000(phases.bigUserEvents),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await stopCore(core, true);
}
