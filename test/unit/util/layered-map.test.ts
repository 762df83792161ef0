import { describe, expect, it } from 'vitest';
import { LayeredMap } from '../../../src/util/layered-map.js';

describe('LayeredMap', () => {
  it('reads through to its base; writes stay in the copy they were made on', () => {
    const a = LayeredMap.over(new Map([['x', 1], ['y', 2]]));
    const b = a.derive();
    b.set('x', 10);
    b.set('z', 3);
    expect([a.get('x'), a.has('z'), a.size]).toEqual([1, false, 2]);
    expect([b.get('x'), b.get('y'), b.get('z'), b.size]).toEqual([10, 2, 3, 3]);
    const c = b.derive();
    c.set('y', 20);
    expect([...b.entries()]).toEqual([['x', 10], ['y', 2], ['z', 3]]);
    expect([...c.entries()]).toEqual([['x', 10], ['y', 20], ['z', 3]]);
    expect([...c.values()]).toEqual([10, 20, 3]);
  });

  it('stays equal to a plain Map through long chains of copies (folding the top into a new base)', () => {
    const plain = new Map<number, number>();
    for (let i = 0; i < 1000; i++) plain.set(i, i);
    let layered = LayeredMap.over(new Map(plain));
    const kept: [LayeredMap<number, number>, Map<number, number>][] = [];
    for (let step = 0; step < 2000; step++) {
      layered = layered.derive();
      // Rewrites and new keys, in a fixed pattern.
      const key = (step * 7919) % 1300;
      layered.set(key, step);
      plain.set(key, step);
      if (step % 250 === 0) kept.push([layered, new Map(plain)]);
    }
    expect(layered.size).toBe(plain.size);
    expect(new Map(layered.entries())).toEqual(plain);
    // Earlier copies still hold what they held then.
    for (const [old, then] of kept) expect(new Map(old.entries())).toEqual(then);
  });
});
