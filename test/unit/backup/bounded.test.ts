import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../../src/backup/bounded.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('forEachBounded', () => {
  it('runs every item, never more than `width` at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
      done.push(n);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('after a failure starts nothing new, waits for the running items, then throws the first failure', async () => {
    const started: number[] = [];
    let finished = 0;
    const run = forEachBounded([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('user 1 failed');
      await tick();
      await tick();
      finished += 1;
    });
    await expect(run).rejects.toThrow('user 1 failed');
    // Item 2 was running when 1 failed: it finished before the call returned; nothing after it started.
    expect(started).toEqual([1, 2]);
    expect(finished).toBe(1);
  });
});
