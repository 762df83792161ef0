import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MASTER_NODE_FLAGS, workerExecArgv, workerMemoryEnv } from '../../../src/master/worker-memory.js';
import { projectRoot } from '../../../src/util/project-root.js';

const defaults = { heapGrowingPercent: 0, maxSemiSpaceMb: 0, mallocArenaMax: 0 };

describe('worker memory flags', () => {
  it("workers do not inherit the master's own V8 flags, whatever their spelling; other flags pass on", () => {
    const inherited = [...MASTER_NODE_FLAGS, '--cpu-prof', '--max_semi_space_size=4', '--optimize_for_size', '--max-semi-space-size-x'];
    expect(workerExecArgv(defaults, inherited)).toEqual(['--cpu-prof', '--max-semi-space-size-x']);
  });

  it('cluster.workerMemory adds its own flags and environment', () => {
    const memory = { heapGrowingPercent: 50, maxSemiSpaceMb: 8, mallocArenaMax: 2 };
    expect(workerExecArgv(memory, MASTER_NODE_FLAGS)).toEqual(['--heap-growing-percent=50', '--max-semi-space-size=8']);
    expect(workerMemoryEnv(memory)).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(workerMemoryEnv(defaults)).toEqual({});
  });
});

describe('the launchers give the master its flags', () => {
  it('bin/master, the image entrypoint and the bench spawn name every MASTER_NODE_FLAGS flag', () => {
    for (const file of ['bin/master', 'Dockerfile', 'bench/src/core.ts']) {
      const text = readFileSync(join(projectRoot(), file), 'utf8');
      for (const flag of MASTER_NODE_FLAGS) expect(text, file).toContain(flag);
    }
  });
});
