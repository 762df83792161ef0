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
  // The master's own young-generation size (MASTER_NODE_FLAGS) is not the workers': theirs is V8's
  // default unless cluster.workerMemory says otherwise. Other flags (--cpu-prof…) pass on.
  const flags = inherited.filter((f) => !isSemiSpaceFlag(f));
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
 * benches' spawns). The master supervises and relays: a 2 MB young generation instead of V8's up to
 * 3 × 16 MB keeps start-up garbage from holding its RSS at about 115 MB until the memory reducer runs
 * (89–91 MB with it; ≤ 100 MB is issue #10's goal; docs/benchmarks.md#worker-memory).
 */
export const MASTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

function isSemiSpaceFlag(flag: string): boolean {
  return flag.replaceAll('_', '-').startsWith('--max-semi-space-size');
}
