import { describe, expect, it } from 'vitest';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import type { Stream } from '../../../src/domain/types.js';
import { stream, STREAMS } from './fixtures.js';

const tree = new StreamsTree(STREAMS);

describe('StreamsTree', () => {
  it('indexes streams by id', () => {
    expect(tree.has('pulse')).toBe(true);
    expect(tree.get('nope')).toBeUndefined();
    expect(tree.all()).toHaveLength(STREAMS.length);
  });

  it('treats a stream with a missing parent as a root', () => {
    expect(tree.children(null).map((s) => s.id)).toEqual(['health', 'orphan', 'work']);
  });

  it('lists children sorted by name', () => {
    expect(tree.children('health').map((s) => s.id)).toEqual(['diary', 'heart']);
  });

  it.each([
    ['health', ['health', 'diary', 'heart', 'pulse']],
    ['heart', ['heart', 'pulse']],
    ['pulse', ['pulse']],
    ['unknown', []],
  ])('subtree(%s)', (id, expected) => {
    expect(tree.subtree(id)).toEqual(expected);
  });

  it('walks ancestry up to the root', () => {
    expect(tree.ancestry('pulse')).toEqual(['pulse', 'heart', 'health']);
    expect(tree.ancestry('unknown')).toEqual([]);
  });

  it('survives a parent cycle in stored data', () => {
    const cyclic = new StreamsTree([stream('a', 'b'), stream('b', 'a')]);
    expect(cyclic.ancestry('a')).toEqual(['a', 'b']);
  });

  it.each([
    ['diary', true],
    ['health', false],
    ['pulse', false],
  ])('isTrashed(%s) = %s', (id, expected) => {
    expect(tree.isTrashed(id)).toBe(expected);
  });

  it('inherits trashed state from an ancestor', () => {
    const t = new StreamsTree([stream('p', null, { trashed: true }), stream('c', 'p')]);
    expect(t.isTrashed('c')).toBe(true);
  });

  it('nests with children always present, filtered by include', () => {
    const nested = tree.toNested(['health'], (s) => !s.trashed);
    expect(nested).toHaveLength(1);
    expect(nested[0]?.children.map((c) => c.id)).toEqual(['heart']);
    expect(nested[0]?.children[0]?.children[0]).toMatchObject({ id: 'pulse', children: [] });
  });

  it('nests from the roots by default', () => {
    expect(tree.toNested().map((s) => s.id)).toEqual(['health', 'orphan', 'work']);
  });
});

/** Everything a tree answers about its shape, comparable with toEqual. */
function shape(t: StreamsTree): unknown {
  const ids = t.all().map((s) => s.id).sort();
  return { size: t.size, ids, children: [null, ...ids].map((id) => [id, t.children(id).map((c) => c.id)]), nested: t.toNested(), streams: ids.map((id) => t.get(id)) };
}

/** A small deterministic generator (mulberry32): the same cases on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('StreamsTree.withChanges', () => {
  const NAMES = ['Alpha', 'alpha', 'Beta', 'Émile', 'zeta', 'Zeta', '10', '9', 'beta'];

  it('gives the tree a whole build gives, for renames, moves and new streams, change after change (100 generated cases of 40 rounds)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
      const streams: Stream[] = [];
      for (let i = 0; i < 5 + Math.floor(next() * 30); i++) {
        streams.push(stream(`s${i}`, i === 0 || next() < 0.3 ? null : pick(streams).id, { name: pick(NAMES) }));
      }
      const merged = new Map(streams.map((s) => [s.id, s]));
      let tree = new StreamsTree(streams);
      // Enough rounds for the layered indexes to fold their writes into a new base (layered-map.ts).
      for (let round = 0; round < 40; round++) {
        const before = tree;
        const beforeShape = shape(before);
        const changed: Stream[] = [];
        const change = (c: Stream): void => {
          changed.push(c);
          merged.set(c.id, c);
        };
        /** Whether `id` is `of` or below it, in the streams as changed so far. */
        const isBelow = (id: string | null, of: string): boolean => {
          for (let at = id; at !== null; at = merged.get(at)?.parentId ?? null) if (at === of) return true;
          return false;
        };
        for (let k = 0; k < 1 + Math.floor(next() * 5); k++) {
          const current = [...merged.values()];
          const kind = next();
          if (kind < 0.4) change({ ...pick(current), name: pick(NAMES) });
          else if (kind < 0.7) {
            // A move under a stream that is not below it (the API refuses cycles).
            const s = pick(current);
            const target = next() < 0.2 ? null : pick(current).id;
            if (!isBelow(target, s.id)) change({ ...s, parentId: target });
          } else change(stream(`new${round}-${k}`, next() < 0.3 ? null : pick(current).id, { name: pick(NAMES) }));
        }
        const after = before.withChanges(changed);
        expect(after, `seed ${seed} round ${round}`).not.toBeNull();
        expect(shape(after as StreamsTree), `seed ${seed} round ${round}`).toEqual(shape(new StreamsTree([...merged.values()])));
        // The tree it came from is shared by requests in flight: unchanged.
        expect(shape(before), `seed ${seed} round ${round}`).toEqual(beforeShape);
        tree = after as StreamsTree;
      }
    }
  });

  it('refuses (null) what it cannot keep exact: a missing parent, or a tree holding an orphan', () => {
    const t = new StreamsTree([stream('a'), stream('b', 'a')]);
    expect(t.withChanges([stream('c', 'missing')])).toBeNull();
    expect(new StreamsTree(STREAMS).withChanges([stream('new')])).toBeNull();
    // A new parent and its child in one set of changes, in either order.
    expect(t.withChanges([stream('d', 'c'), stream('c', 'a')])?.subtree('a')).toEqual(['a', 'b', 'c', 'd']);
  });
});
