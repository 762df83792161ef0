import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import type { Event, Stream } from '../../src/domain/types.js';
import { engines, type EngineDatabase } from './engines.js';

/**
 * The update contracts of EventsStore.update and StreamsStore.update (issue #16: no lost updates),
 * run against every engine. An engine may lock or compare-and-set with retry; either way concurrent
 * changes to one record must each apply on the result of the one before.
 */

const USER = 'user-1';

function event(id: string, extra: Partial<Event> = {}): Event {
  return {
    id, streamIds: ['s'], type: 'note/txt', time: 1000, duration: undefined, content: 'c', description: undefined,
    clientData: undefined, attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra,
  };
}
function stream(id: string, extra: Partial<Stream> = {}): Stream {
  return { id, name: id, parentId: null, clientData: null, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra };
}

describe.each(engines)('atomic updates: $name', (fixture) => {
  let db: EngineDatabase;
  let stores: Stores;
  beforeAll(async () => {
    db = await fixture.freshDatabase();
    stores = await db.openStores();
    await stores.users.create({ id: USER, username: 'conformance', email: 'c@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('events.update: null for a missing event; a change that throws, or changes the id, writes nothing', async () => {
    expect(await stores.events.update(USER, 'nope', (e) => e)).toBeNull();
    await stores.events.create(USER, event('guarded', { content: 'before' }));
    await expect(stores.events.update(USER, 'guarded', () => {
      throw new Error('refused');
    })).rejects.toThrow('refused');
    await expect(stores.events.update(USER, 'guarded', (e) => ({ ...e, id: 'other', content: 'after' }))).rejects.toThrow();
    expect((await stores.events.get(USER, 'guarded'))?.content).toBe('before');
    expect(await stores.events.get(USER, 'other')).toBeNull();
  });

  it('events.update: answers the event before and after, and stores the after', async () => {
    await stores.events.create(USER, event('moved', { streamIds: ['x'] }));
    const res = await stores.events.update(USER, 'moved', (e) => ({ ...e, streamIds: ['y'], duration: null, modified: 5 }));
    expect(res?.before.streamIds).toEqual(['x']);
    expect(res?.after).toMatchObject({ streamIds: ['y'], duration: null, modified: 5 });
    expect(await stores.events.get(USER, 'moved')).toEqual(res?.after);
  });

  it('events.update: 30 concurrent read-modify-writes of one event each apply on the previous one', async () => {
    await stores.events.create(USER, event('counter', { clientData: { n: 0 } }));
    const bump = (e: Event): Event => ({ ...e, clientData: { ...e.clientData, n: Number(e.clientData?.['n']) + 1 } });
    const results = await Promise.all(Array.from({ length: 30 }, () => stores.events.update(USER, 'counter', bump)));
    const seen = results.map((r) => Number(r?.after.clientData?.['n'])).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await stores.events.get(USER, 'counter'))?.clientData).toEqual({ n: 30 });
  });

  it('events.update inside a transaction joins it: a later failure undoes the update', async () => {
    await stores.events.create(USER, event('in-tx', { content: 'before' }));
    await expect(stores.transaction(async (tx) => {
      await tx.events.update(USER, 'in-tx', (e) => ({ ...e, content: 'after' }));
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect((await stores.events.get(USER, 'in-tx'))?.content).toBe('before');
  });

  it('streams.update: sets only the fields given; clientData merges (null deletes a key, null clears)', async () => {
    await stores.streams.create(USER, stream('st', { clientData: { keep: 1, drop: 2 } }));
    const renamed = await stores.streams.update(USER, 'st', { name: 'renamed', clientData: { drop: null, add: 3 }, modified: 7, modifiedBy: 'b' });
    expect(renamed).toMatchObject({ id: 'st', name: 'renamed', parentId: null, trashed: false, clientData: { keep: 1, add: 3 }, modified: 7, modifiedBy: 'b' });
    expect((await stores.streams.update(USER, 'st', { clientData: null, modified: 8, modifiedBy: 'b' }))?.clientData).toBeNull();
    expect((await stores.streams.update(USER, 'st', { clientData: { fresh: true }, modified: 9, modifiedBy: 'b' }))?.clientData).toEqual({ fresh: true });
    expect(await stores.streams.update(USER, 'nope', { modified: 1, modifiedBy: 'b' })).toBeNull();
  });

  it('streams.update: 30 concurrent clientData updates keep every key', async () => {
    await stores.streams.create(USER, stream('busy'));
    await Promise.all(Array.from({ length: 30 }, (_, i) => stores.streams.update(USER, 'busy', { clientData: { [`k${i}`]: i }, modified: 2, modifiedBy: 'b' })));
    expect((await stores.streams.get(USER, 'busy'))?.clientData).toEqual(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
  });
});
