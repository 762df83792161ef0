import { describe, expect, it } from 'vitest';
import { StreamTreeCache } from '../../../src/api/stream-tree-cache.js';
import type { Stream } from '../../../src/domain/types.js';

const stream = (id: string): Stream => ({ id, name: id, parentId: null, clientData: null, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a' });

/** A store stand-in: counts loads, answers what `streams` holds when called. */
function source(ids: string[]) {
  const s = { ids, loads: 0, load: async (): Promise<Stream[]> => {
    s.loads += 1;
    return s.ids.map(stream);
  } };
  return s;
}

describe('StreamTreeCache', () => {
  it('reuses a tree for the same version, loads again for another', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['a']);
    expect((await cache.tree('u', 1, src.load)).has('a')).toBe(true);
    await cache.tree('u', 1, src.load);
    expect(src.loads).toBe(1);
    src.ids = ['a', 'b'];
    expect((await cache.tree('u', 2, src.load)).has('b')).toBe(true);
    expect(src.loads).toBe(2);
  });

  it('without a version (batch, socket, an engine without versions) always loads', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['a']);
    await cache.tree('u', undefined, src.load);
    await cache.tree('u', undefined, src.load);
    expect(src.loads).toBe(2);
  });

  it('a load for an older version never replaces a newer one', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['new']);
    await cache.tree('u', 5, src.load);
    await cache.tree('u', 4, src.load);
    await cache.tree('u', 5, src.load);
    expect(src.loads).toBe(2);
  });

  it('keeps at most maxUsers trees, dropping the least recently loaded; 0 keeps none', async () => {
    const cache = new StreamTreeCache(2);
    const src = source(['a']);
    for (const u of ['u1', 'u2', 'u3']) await cache.tree(u, 1, src.load);
    await cache.tree('u3', 1, src.load);
    await cache.tree('u2', 1, src.load);
    expect(src.loads).toBe(3);
    await cache.tree('u1', 1, src.load);
    expect(src.loads).toBe(4);
    const off = new StreamTreeCache(0);
    await off.tree('u', 1, src.load);
    await off.tree('u', 1, src.load);
    expect(src.loads).toBe(6);
  });

  it('freezes the streams it shares between requests', async () => {
    const cache = new StreamTreeCache(10);
    const tree = await cache.tree('u', 1, source(['a']).load);
    expect(Object.isFrozen(tree.get('a'))).toBe(true);
  });
});
