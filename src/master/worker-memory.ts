import type { Config } from '../config/index.js';

/**
 * How the master bounds each worker's memory (issue #10: ≤ 150 MB resident per API worker under
 * load; docs/benchmarks.md#worker-memory). V8 sizes the heap for speed: after a full collection a
 * busy worker may grow to several times its live data before the next, and the young generation
 * takes up to 3 × 16–32 MB. Measured on the bench's events.get, events.create and 100,000-point
 * series reads with 50 / 8 / 2: the largest API worker 344 → 184 MB, req/s 12–36 % lower. Off (0)
 * by default: an operator short of memory turns it on (config/default.yml, docs/config.md).
 */
export function workerExecArgv(memory: Config['cluster']['workerMemory'], inherited: readonly string[]): string[] {
  // The master's own V8 flags (MASTER_NODE_FLAGS) are not the workers': theirs are V8's defaults
  // unless cluster.workerMemory says otherwise. Other flags (--cpu-prof…) pass on.
  const flags = inherited.filter((f) => !isMasterOnlyFlag(f));
  if (memory.heapGrowingPercent > 0) flags.push(`--heap-growing-percent=${memory.heapGrowingPercent}`);
  if (memory.maxSemiSpaceMb > 0) flags.push(`--max-semi-space-size=${memory.maxSemiSpaceMb}`);
  return flags;
}

/** Environment for a worker: glibc's arena cap (its default, 8 per core, holds freed memory in each). */
export function workerMemoryEnv(memory: Config['cluster']['workerMemory']): Record<string, string> {
  return memory.mallocArenaMax > 0 ? { MALLOC_ARENA_MAX: String(memory.mallocArenaMax) } : {};
}

/**
 * V8 flags the launchers give the master itself (bin/master, the image's entrypoint, the tests' and
 * benches' spawns). The master supervises and relays, at well under 1 % of a core under load, so its
 * heap is sized for memory, not speed (issue #10: ≤ 100 MB; docs/benchmarks.md#worker-memory):
 * - a 2 MB young generation instead of V8's up to 3 × 16 MB keeps start-up garbage from holding its
 *   RSS at about 115 MB until the memory reducer runs (89–91 MB with it);
 * - `--optimize-for-size` lets its old generation grow by 2 MB between full collections instead of 8:
 *   the garbage of its heartbeats (platform DB and PostgreSQL checks every 2 s) otherwise took its RSS
 *   from 94 to 102–108 MB over a full bench run; 93–96.5 MB with it.
 */
export const MASTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--optimize-for-size'];

/** A flag MASTER_NODE_FLAGS sets, whatever its value or spelling (`_` or `-`). */
function isMasterOnlyFlag(flag: string): boolean {
  const name = flag.replaceAll('_', '-').split('=')[0];
  return MASTER_NODE_FLAGS.some((f) => f.split('=')[0] === name);
}
