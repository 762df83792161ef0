import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { checkEventIntegrity } from '../../src/domain/integrity.js';
import type { Event } from '../../src/domain/types.js';
import type { EventDeletion, EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import { engines, type EngineDatabase } from './engines.js';

/**
 * The versioning contract of EventsStore (history, deletion modes, integrity; docs/api.md#event-history),
 * run against every engine with each policy.
 */

const USER = 'user-h';

function event(id: string, extra: Partial<Event> = {}): Event {
  return {
    id, streamIds: ['s'], type: 'note/txt', time: 1000, duration: undefined, content: 'v1', description: undefined,
    clientData: undefined, attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra,
  };
}

async function deletions(stores: Stores): Promise<EventDeletion[]> {
  const out: EventDeletion[] = [];
  for await (const d of stores.events.deletionsSince(USER, 0)) out.push(d);
  return out;
}

/** create v1 → update to v2 (by b) → update to v3 (by c). */
async function threeVersions(stores: Stores, id: string): Promise<void> {
  await stores.events.create(USER, event(id));
  await stores.events.update(USER, id, (e) => ({ ...e, content: 'v2', modified: 2, modifiedBy: 'b' }));
  await stores.events.update(USER, id, (e) => ({ ...e, content: 'v3', modified: 3, modifiedBy: 'c' }));
}

describe.each(engines)('event history: $name', (fixture) => {
  const dbs: EngineDatabase[] = [];
  async function storesWith(policy: EventsStorePolicy): Promise<Stores> {
    const db = await fixture.freshDatabase();
    dbs.push(db);
    const stores = await db.openStores(policy);
    await stores.users.create({ id: USER, username: `h${dbs.length}`, email: 'h@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 });
    return stores;
  }
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.dispose()));
  });

  describe('keepHistory off (the default)', () => {
    let stores: Stores;
    beforeAll(async () => {
      stores = await storesWith({ keepHistory: false, deletionMode: 'keep-nothing', integrity: null });
    });
    it('keeps no version; a deletion keeps {id, deleted} only', async () => {
      await threeVersions(stores, 'e1');
      expect(await stores.events.history(USER, 'e1')).toEqual([]);
      await stores.events.delete(USER, 'e1', 10);
      expect(await deletions(stores)).toEqual([{ id: 'e1', deleted: 10 }]);
      expect(await stores.events.get(USER, 'e1')).toBeNull();
    });
    it('no integrity: a stale one is dropped on write', async () => {
      const created = await stores.events.create(USER, event('e2', { integrity: 'EVENT:0:sha256-stale' }));
      expect(created).not.toHaveProperty('integrity');
      expect(await stores.events.get(USER, 'e2')).not.toHaveProperty('integrity');
    });
  });

  describe('keepHistory on', () => {
    it('each update keeps the previous version, oldest first, under the event id', async () => {
      const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-everything', integrity: null });
      await threeVersions(stores, 'e1');
      const history = await stores.events.history(USER, 'e1');
      expect(history.map((v) => [v.id, v.content, v.modifiedBy])).toEqual([['e1', 'v1', 'a'], ['e1', 'v2', 'b']]);
      expect((await stores.events.get(USER, 'e1'))?.content).toBe('v3');
      // A write the server makes for itself keeps none.
      await stores.events.update(USER, 'e1', (e) => ({ ...e, modified: 4 }), { skipVersion: true });
      expect(await stores.events.history(USER, 'e1')).toHaveLength(2);
      // A refused change keeps none either.
      await expect(stores.events.update(USER, 'e1', () => {
        throw new Error('refused');
      })).rejects.toThrow('refused');
      expect(await stores.events.history(USER, 'e1')).toHaveLength(2);
      expect(await stores.events.history(USER, 'unknown')).toEqual([]);
    });

    it('keep-nothing: deletion erases the versions and keeps {id, deleted}', async () => {
      const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-nothing', integrity: null });
      await threeVersions(stores, 'e1');
      await stores.events.delete(USER, 'e1', 10);
      expect(await stores.events.history(USER, 'e1')).toEqual([]);
      expect(await deletions(stores)).toEqual([{ id: 'e1', deleted: 10 }]);
    });

    it('keep-authors: deletion and versions keep only id, modified, modifiedBy', async () => {
      const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-authors', integrity: null });
      await threeVersions(stores, 'e1');
      await stores.events.delete(USER, 'e1', 10);
      expect(await stores.events.history(USER, 'e1')).toEqual([
        { id: 'e1', modified: 1, modifiedBy: 'a' },
        { id: 'e1', modified: 2, modifiedBy: 'b' },
        { id: 'e1', modified: 3, modifiedBy: 'c' },
      ]);
      expect(await deletions(stores)).toEqual([{ id: 'e1', modified: 3, modifiedBy: 'c', deleted: 10 }]);
    });

    it('keep-everything: deletion keeps every field, versions untouched; a re-created id starts afresh', async () => {
      const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-everything', integrity: null });
      await threeVersions(stores, 'e1');
      await stores.events.deleteMany(USER, ['e1'], 10);
      expect((await stores.events.history(USER, 'e1')).map((v) => v.content)).toEqual(['v1', 'v2', 'v3']);
      const [gone] = await deletions(stores);
      expect(gone).toMatchObject({ id: 'e1', content: 'v3', streamIds: ['s'], modifiedBy: 'c', deleted: 10 });
      await expect(stores.events.create(USER, event('e1', { content: 'again' }))).resolves.toMatchObject({ content: 'again' });
      expect(await stores.events.history(USER, 'e1')).toEqual([]);
      expect(await deletions(stores)).toEqual([]);
    });

    it('a failed create of a live id leaves its history alone', async () => {
      const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-everything', integrity: null });
      await threeVersions(stores, 'e1');
      await expect(stores.events.create(USER, event('e1'))).rejects.toThrow();
      expect(await stores.events.history(USER, 'e1')).toHaveLength(2);
    });
  });

  describe('integrity on', () => {
    it('is computed on create and recomputed on update, and matches the content', async () => {
      const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-everything', integrity: 'sha256' });
      const created = await stores.events.create(USER, event('e1'));
      expect(created.integrity).toMatch(/^EVENT:0:sha256-[A-Za-z0-9+/]{43}=$/);
      const res = await stores.events.update(USER, 'e1', (e) => ({ ...e, content: 'v2', modified: 2 }));
      expect(res?.after.integrity).toMatch(/^EVENT:0:sha256-/);
      expect(res?.after.integrity).not.toBe(created.integrity);
      const stored = await stores.events.get(USER, 'e1');
      expect(stored?.integrity).toBe(res?.after.integrity);
      expect(stored !== null && checkEventIntegrity(stored)).toBe(true);
      const [past] = await stores.events.history(USER, 'e1');
      expect(past?.integrity).toBe(created.integrity);
      expect(stored !== null && checkEventIntegrity({ ...stored, content: 'tampered' })).toBe(false);
    });
  });
});
