import { describe, expect, it } from 'vitest';
import { eventFateOnStreamDeletion } from '../../src/domain/stream-rules.js';
import { StreamsTree } from '../../src/domain/streams-tree.js';
import { DuplicateKeyError } from '../../src/storage/interfaces/errors.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { engines } from './engines.js';
import { event, eventDeletions, freshStores, stream, user } from './items.js';

/**
 * StreamsStore against every engine: the tree as stored, sibling-name uniqueness (also under
 * concurrent creates), trashing, deletions, and streams.delete's store steps (Pryv API §3.3:
 * children deleted with their parent, events merged into the parent or deleted) in one transaction.
 */
const U = 'user-s';

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof DuplicateKeyError)) throw new Error(`expected a DuplicateKeyError, got ${String(err)}`);
  return err.key;
}

/** streams.delete's store steps (src/api/streams/streams.delete.ts) on a trashed stream. */
async function deleteStream(stores: Stores, id: string, merge: boolean, now: number, failAfter = false): Promise<void> {
  const tree = new StreamsTree(await stores.streams.all(U));
  const subtree = tree.subtree(id);
  const parentId = tree.get(id)?.parentId ?? null;
  const inSubtree = new Set(subtree);
  const events = await stores.events.withStreams(U, subtree);
  await stores.transaction(async (tx) => {
    const deleted: string[] = [];
    for (const e of events) {
      const fate = eventFateOnStreamDeletion(e.streamIds, inSubtree, parentId, merge);
      if (fate.action === 'deleted') deleted.push(e.id);
      else await tx.events.update(U, e.id, (cur) => ({ ...cur, streamIds: fate.streamIds, modified: now }));
    }
    await tx.events.deleteMany(U, deleted, now);
    await tx.streams.delete(U, subtree, now);
    if (failAfter) throw new Error('crash before commit');
  });
}

describe.each(engines)('streams store: $name', (fixture) => {
  const s = freshStores(fixture, [user(U), user('user-s2')]);

  it('create, get and all: the flat tree as stored, per user', async () => {
    const stores = s.get();
    await stores.streams.create(U, stream('r', { clientData: { k: 1 }, created: 5, createdBy: 'me', modified: 6, modifiedBy: 'you' }));
    await stores.streams.create(U, stream('r1', { parentId: 'r' }));
    expect(await stores.streams.get(U, 'r')).toEqual(stream('r', { clientData: { k: 1 }, created: 5, createdBy: 'me', modified: 6, modifiedBy: 'you' }));
    expect((await stores.streams.all(U)).map((x) => [x.id, x.parentId]).sort()).toEqual([['r', null], ['r1', 'r']]);
    expect(await stores.streams.all('user-s2')).toEqual([]);
    expect(await stores.streams.get('user-s2', 'r')).toBeNull();
  });

  it('ids are unique per user; names are unique among siblings only', async () => {
    const stores = s.get();
    await stores.streams.create(U, stream('n', { name: 'Same' }));
    expect(await codeOf(stores.streams.create(U, stream('n', { name: 'Other' })))).toBe('id');
    expect(await codeOf(stores.streams.create(U, stream('n2', { name: 'Same' })))).toBe('name');
    await stores.streams.create(U, stream('n-child', { name: 'Same', parentId: 'n' }));
    expect(await codeOf(stores.streams.create(U, stream('n-child2', { name: 'Same', parentId: 'n' })))).toBe('name');
    // Another user has a namespace of its own.
    await stores.streams.create('user-s2', stream('n', { name: 'Same' }));
  });

  it('update: a rename or a move onto a sibling\'s name is refused; other fields are set', async () => {
    const stores = s.get();
    await stores.streams.create(U, stream('u1', { name: 'One' }));
    await stores.streams.create(U, stream('u2', { name: 'Two' }));
    await stores.streams.create(U, stream('u3', { name: 'One', parentId: 'u2' }));
    expect(await codeOf(stores.streams.update(U, 'u2', { name: 'One', modified: 2, modifiedBy: 'b' }))).toBe('name');
    expect(await codeOf(stores.streams.update(U, 'u3', { parentId: null, modified: 2, modifiedBy: 'b' }))).toBe('name');
    expect((await stores.streams.get(U, 'u3'))?.parentId).toBe('u2');
    const moved = await stores.streams.update(U, 'u1', { parentId: 'u2', name: 'Moved', trashed: true, modified: 3, modifiedBy: 'c' });
    expect(moved).toMatchObject({ id: 'u1', parentId: 'u2', name: 'Moved', trashed: true, modified: 3, modifiedBy: 'c', created: 1, createdBy: 'a' });
    expect(await stores.streams.get(U, 'u1')).toEqual(moved);
  });

  it('of 10 concurrent creates of one name under one parent, exactly one succeeds', async () => {
    const stores = s.get();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => stores.streams.create(U, stream(`race${i}`, { name: 'Race' }))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ name: 'DuplicateKeyError', key: 'name' });
    expect((await stores.streams.all(U)).filter((x) => x.name === 'Race')).toHaveLength(1);
  });

  it('trashed streams stay in the tree; delete removes the given ids and records their deletions', async () => {
    const stores = s.get();
    await stores.streams.create(U, stream('t', { name: 'T' }));
    await stores.streams.create(U, stream('t1', { name: 'T1', parentId: 't' }));
    await stores.streams.update(U, 't', { trashed: true, modified: 10, modifiedBy: 'a' });
    expect((await stores.streams.get(U, 't'))?.trashed).toBe(true);
    expect((await stores.streams.all(U)).some((x) => x.id === 't')).toBe(true);
    const before = await stores.streams.deletionsSince(U, 0);
    await stores.streams.delete(U, ['t', 't1'], 100);
    expect(await stores.streams.get(U, 't')).toBeNull();
    expect(await stores.streams.get(U, 't1')).toBeNull();
    const after = await stores.streams.deletionsSince(U, 0);
    expect(after.slice(before.length).sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: 't', deleted: 100 }, { id: 't1', deleted: 100 }]);
    expect(await stores.streams.deletionsSince(U, 100)).toEqual([]);
    // A re-creation refused (a sibling has the name) keeps the deletion: clients syncing still see it.
    await stores.streams.create(U, stream('taken', { name: 'Taken' }));
    await expect(stores.streams.create(U, stream('t1', { name: 'Taken' }))).rejects.toMatchObject({ name: 'DuplicateKeyError', key: 'name' });
    expect((await stores.streams.deletionsSince(U, 0)).map((d) => d.id)).toContain('t1');
    // Its name is free again, and re-creating an id drops its deletion.
    await stores.streams.create(U, stream('t', { name: 'T' }));
    expect((await stores.streams.deletionsSince(U, 0)).map((d) => d.id)).not.toContain('t');
  });
});

describe.each(engines)('streams changed since a version: $name', (fixture) => {
  const s = freshStores(fixture, [user('user-cs'), user('user-cs2')]);
  const V = 'user-cs';

  async function version(stores: Stores, id: string): Promise<number> {
    const found = await stores.users.getWithStreamsVersion?.(user(id).username);
    if (found == null) throw new Error(`no streams version for ${id}`);
    return found.streamsVersion;
  }

  it('lists the streams created or updated after a version, with the user’s stream count', async () => {
    const stores = s.get();
    // Engines with streams versions have both; without them (docs/mongodb.md#guarantees) neither.
    expect(stores.streams.changedSince === undefined).toBe(stores.users.getWithStreamsVersion === undefined);
    if (stores.streams.changedSince === undefined) return;
    await stores.streams.create(V, stream('a'));
    await stores.streams.create(V, stream('b', { parentId: 'a' }));
    await stores.streams.create('user-cs2', stream('other'));
    const v0 = await version(stores, V);
    expect(await stores.streams.changedSince(V, v0)).toEqual({ changed: [], count: 2 });
    await stores.streams.create(V, stream('c'));
    await stores.streams.update(V, 'b', { name: 'B', parentId: null, modified: 2, modifiedBy: 'x' });
    const since = await stores.streams.changedSince(V, v0);
    expect(since?.count).toBe(3);
    expect(since?.changed.map((x) => [x.id, x.name, x.parentId]).sort()).toEqual([['b', 'B', null], ['c', 'c', null]]);
    // Rows as all() returns them.
    expect(since?.changed.find((x) => x.id === 'b')).toEqual((await stores.streams.all(V)).find((x) => x.id === 'b'));
    const v1 = await version(stores, V);
    expect(v1).toBeGreaterThan(v0);
    expect(await stores.streams.changedSince(V, v1)).toEqual({ changed: [], count: 3 });
    // A deletion is not listed: the count falls.
    await stores.streams.delete(V, ['c'], 3);
    expect(await stores.streams.changedSince(V, v1)).toEqual({ changed: [], count: 2 });
    expect((await stores.streams.changedSince('user-cs2', 0))?.changed.map((x) => x.id)).toEqual(['other']);
    expect(await stores.streams.changedSince('no-such-user', 0)).toBeNull();
  });
});

describe.each(engines)('streams.delete store steps: $name', (fixture) => {
  const s = freshStores(fixture, [user(U)]);

  /** p ─ x ─ x1, and o; events in the subtree of x, some also elsewhere. */
  async function setUp(prefix: string): Promise<void> {
    const stores = s.get();
    const id = (x: string): string => `${prefix}${x}`;
    await stores.streams.create(U, stream(id('p')));
    await stores.streams.create(U, stream(id('x'), { parentId: id('p') }));
    await stores.streams.create(U, stream(id('x1'), { parentId: id('x') }));
    await stores.streams.create(U, stream(id('o')));
    await stores.events.create(U, event(id('only-sub'), { streamIds: [id('x1')] }));
    await stores.events.create(U, event(id('both'), { streamIds: [id('x'), id('o')] }));
    await stores.events.create(U, event(id('twice'), { streamIds: [id('x1'), id('x')] }));
    await stores.events.create(U, event(id('outside'), { streamIds: [id('o')] }));
    await stores.streams.update(U, id('x'), { trashed: true, modified: 2, modifiedBy: 'a' });
  }

  it('without merge: children go with the stream, events only in the subtree are deleted, others lose the subtree', async () => {
    const stores = s.get();
    await setUp('a-');
    await deleteStream(stores, 'a-x', false, 500);
    expect((await stores.streams.all(U)).map((x) => x.id).filter((id) => id.startsWith('a-')).sort()).toEqual(['a-o', 'a-p']);
    expect((await stores.streams.deletionsSince(U, 0)).filter((d) => d.id.startsWith('a-')).sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'a-x', deleted: 500 },
      { id: 'a-x1', deleted: 500 },
    ]);
    expect(await stores.events.get(U, 'a-only-sub')).toBeNull();
    expect(await stores.events.get(U, 'a-twice')).toBeNull();
    expect((await stores.events.get(U, 'a-both'))?.streamIds).toEqual(['a-o']);
    expect((await stores.events.get(U, 'a-outside'))?.streamIds).toEqual(['a-o']);
    expect((await eventDeletions(stores, U)).filter((d) => d.id.startsWith('a-')).map((d) => d.id).sort()).toEqual(['a-only-sub', 'a-twice']);
  });

  it('with merge: the events move to the parent (once), nothing is deleted but the streams', async () => {
    const stores = s.get();
    await setUp('b-');
    await deleteStream(stores, 'b-x', true, 600);
    expect(await stores.streams.get(U, 'b-x1')).toBeNull();
    expect((await stores.events.get(U, 'b-only-sub'))?.streamIds).toEqual(['b-p']);
    expect((await stores.events.get(U, 'b-twice'))?.streamIds).toEqual(['b-p']);
    expect((await stores.events.get(U, 'b-both'))?.streamIds).toEqual(['b-p', 'b-o']);
    expect((await stores.events.get(U, 'b-both'))?.modified).toBe(600);
    expect((await eventDeletions(stores, U)).filter((d) => d.id.startsWith('b-'))).toEqual([]);
  });

  it('a failure before commit leaves streams, events and deletions as they were', async () => {
    const stores = s.get();
    await setUp('c-');
    const streamsBefore = await stores.streams.all(U);
    const deletionsBefore = await stores.streams.deletionsSince(U, 0);
    await expect(deleteStream(stores, 'c-x', false, 700, true)).rejects.toThrow('crash before commit');
    expect(await stores.streams.all(U)).toEqual(expect.arrayContaining(streamsBefore));
    expect((await stores.streams.all(U)).length).toBe(streamsBefore.length);
    expect(await stores.streams.deletionsSince(U, 0)).toEqual(deletionsBefore);
    expect((await stores.events.get(U, 'c-only-sub'))?.streamIds).toEqual(['c-x1']);
    expect((await stores.events.get(U, 'c-both'))?.streamIds).toEqual(['c-x', 'c-o']);
    expect((await eventDeletions(stores, U)).filter((d) => d.id.startsWith('c-'))).toEqual([]);
  });
});
