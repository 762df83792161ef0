import { describe, expect, it } from 'vitest';
import { StreamTreeCache, type StreamSource } from '../../../src/api/stream-tree-cache.js';
import type { Stream } from '../../../src/domain/types.js';

const stream = (id: string, name = id): Stream => ({ id, name, parentId: null, clientData: null, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a' });

/**
 * The cache's own decisions, on a source whose answers the test sets: which of its calls a request
 * makes. That the store answers changedSince right (rows, count, versions under concurrent writers)
 * is the conformance suite's and the PostgreSQL engine's tests (streams.test.ts,
 * postgresql-streams-version.test.ts); the cache on a real database across two workers is
 * test/integration/stream-tree-cache.test.ts.
 */
function source(ids: string[], withChanges = true) {
  const s = {
    streams: ids.map((id) => stream(id)),
    /** The rows changedSince answers (whatever the version asked). */
    changed: [] as Stream[],
    calls: [] as string[],
    store: {
      all: async (): Promise<Stream[]> => {
        s.calls.push('all');
        return s.streams.map((x) => ({ ...x }));
      },
      ...(withChanges
        ? {
            changedSince: async (_u: string, v: number) => {
              s.calls.push(`changedSince ${v}`);
              return { changed: s.changed.map((x) => ({ ...x })), count: s.streams.length };
            },
          }
        : {}),
    } as StreamSource,
  };
  return s;
}

describe('StreamTreeCache', () => {
  it('reuses a tree for the same version; for a newer one, applies the changes since the one it holds', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['a']);
    expect((await cache.tree('u', 1, src.store)).has('a')).toBe(true);
    await cache.tree('u', 1, src.store);
    expect(src.calls).toEqual(['all']);
    src.streams.push(stream('b'));
    src.changed = [stream('b')];
    const t2 = await cache.tree('u', 2, src.store);
    expect(t2.children(null).map((x) => x.id)).toEqual(['a', 'b']);
    expect(src.calls).toEqual(['all', 'changedSince 1']);
    expect([cache.loads, cache.refreshes, cache.hits]).toEqual([1, 1, 1]);
    expect(Object.isFrozen(t2.get('b'))).toBe(true);
  });

  it('loads the whole tree when the changes do not account for the count (a deletion)', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['a', 'b']);
    await cache.tree('u', 1, src.store);
    src.streams = [stream('b', 'renamed')];
    src.changed = [stream('b', 'renamed')];
    const t = await cache.tree('u', 2, src.store);
    expect(t.has('a')).toBe(false);
    expect(t.get('b')?.name).toBe('renamed');
    expect(src.calls).toEqual(['all', 'changedSince 1', 'all']);
  });

  it('without changedSince (an engine without it), loads the whole tree for a new version', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['a'], false);
    await cache.tree('u', 1, src.store);
    await cache.tree('u', 2, src.store);
    expect(src.calls).toEqual(['all', 'all']);
  });

  it('without a version (batch, socket, an engine without versions) always loads', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['a']);
    await cache.tree('u', undefined, src.store);
    await cache.tree('u', undefined, src.store);
    expect(src.calls).toEqual(['all', 'all']);
  });

  it('a request that read an older version gets the newer tree held; nothing older is put back', async () => {
    const cache = new StreamTreeCache(10);
    const src = source(['new']);
    await cache.tree('u', 5, src.store);
    expect((await cache.tree('u', 4, src.store)).has('new')).toBe(true);
    await cache.tree('u', 5, src.store);
    expect(src.calls).toEqual(['all']);
  });

  it('keeps at most maxUsers trees, dropping the least recently loaded; 0 keeps none', async () => {
    const cache = new StreamTreeCache(2);
    const src = source(['a']);
    for (const u of ['u1', 'u2', 'u3']) await cache.tree(u, 1, src.store);
    await cache.tree('u3', 1, src.store);
    await cache.tree('u2', 1, src.store);
    expect(src.calls).toHaveLength(3);
    await cache.tree('u1', 1, src.store);
    expect(src.calls).toHaveLength(4);
    const off = new StreamTreeCache(0);
    await off.tree('u', 1, src.store);
    await off.tree('u', 1, src.store);
    expect(src.calls).toHaveLength(6);
  });

  it('freezes the streams it shares between requests', async () => {
    const cache = new StreamTreeCache(10);
    const tree = await cache.tree('u', 1, source(['a']).store);
    expect(Object.isFrozen(tree.get('a'))).toBe(true);
  });
});
