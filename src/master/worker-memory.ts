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
  const flags = [...inherited];
  if (memory.heapGrowingPercent > 0) flags.push(`--heap-growing-percent=${memory.heapGrowingPercent}`);
  if (memory.maxSemiSpaceMb > 0) flags.push(`--max-semi-space-size=${memory.maxSemiSpaceMb}`);
  return flags;
}

/** Environment for a worker: glibc's arena cap (its default, 8 per core, holds freed memory in each). */
export function workerMemoryEnv(memory: Config['cluster']['workerMemory']): Record<string, string> {
  return memory.mallocArenaMax > 0 ? { MALLOC_ARENA_MAX: String(memory.mallocArenaMax) } : {};
}
