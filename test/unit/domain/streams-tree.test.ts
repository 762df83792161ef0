import { describe, expect, it } from 'vitest';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
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
