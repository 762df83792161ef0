/**
 * What one batch call of events.create costs the core (docs/benchmarks.md#scale): a fresh core with
 * pg_stat_statements, one user with --streams streams, then --batches batch calls of --size
 * events.create, one at a time. Prints CPU seconds per batch call by process role and the
 * statements per event. --cpu-prof keeps the workers' profiles (summary: bench/src/profile-summary.ts).
 * Usage: node bench/src/batch-costs.ts [--streams 70] [--size 1000] [--batches 5] [--cpu-prof <dir>]
 */
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killCoreSync, restartWithCpuProfiles, startCore, stopCore } from './core.ts';
import { PgStats } from './pg-stats.ts';
import { cpuSnapshot, cpuUsage } from './procs.ts';
import { coreGroups } from './run-scenario.ts';
import { bigUserLayout, eventCalls } from './scale-seed.ts';
import { batch, register } from './seed.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (m: string): void => void process.stderr.write(`batch-costs: ${m}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { streams: { type: 'string' }, size: { type: 'string' }, batches: { type: 'string' }, 'cpu-prof': { type: 'string' } }, strict: true });
  const streams = Number(values.streams ?? 70);
  const size = Number(values.size ?? 1000);
  const batches = Number(values.batches ?? 5);
  if (![streams, size, batches].every((n) => Number.isInteger(n) && n > 0) || streams < 70 || size > 1000) throw new Error('--streams ≥ 70, --size 1…1000, --batches ≥ 1');
  process.on('exit', () => killCoreSync());
  const core = await startCore({ root: ROOT, apiWorkers: 1, logLevel: null, pgStats: true, audit: null, readyTimeoutMs: 300_000 });
  try {
    const u = await register(core.apiUrl, 'batchcost');
    const layout = bigUserLayout(streams);
    for (let from = 0; from < layout.length; from += 1000) {
      await batch(u.base, u.token, layout.slice(from, from + 1000).map((x) => ({ method: 'streams.create', params: { id: x.id, name: x.id, parentId: x.parentId } })));
    }
    const ids = layout.map((x) => x.id);
    const now = Math.floor(Date.now() / 1000);
    // One unmeasured batch: JIT warm-up, connections opened.
    await batch(u.base, u.token, eventCalls(ids, 0, size, now));
    const cpuProf = values['cpu-prof'];
    if (cpuProf !== undefined) await restartWithCpuProfiles(core, ROOT, cpuProf);
    const stats = new PgStats({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
    await stats.open();
    await stats.reset();
    const groups = coreGroups(core);
    const g = groups();
    const before = cpuSnapshot(Object.values(g).flat());
    const t = performance.now();
    for (let b = 1; b <= batches; b++) await batch(u.base, u.token, eventCalls(ids, b * size, size, now));
    const seconds = (performance.now() - t) / 1000;
    const use = cpuUsage(before, cpuSnapshot(Object.values(g).flat()), g);
    const perCall = Object.fromEntries(Object.entries(use.perGroup).map(([k, v]) => [k, Math.round(((v / 100) * seconds / batches) * 1000) / 1000]));
    log(`${streams} streams, ${batches} batch calls of ${size} events.create: ${(seconds / batches).toFixed(2)} s each (wall), CPU s per batch call ${JSON.stringify(perCall)}`);
    for (const s of await stats.top(12)) log(`  ${(s.calls / (batches * size)).toFixed(2)} per event, ${s.meanMs} ms mean, ${s.rowsPerCall} rows: ${s.query.slice(0, 160)}`);
    await stats.close();
  } finally {
    await stopCore(core, true);
  }
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
