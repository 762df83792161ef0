import { afterAll, describe, expect, it } from 'vitest';
import { checkEventIntegrity } from '../../src/domain/integrity.js';
import { DuplicateKeyError } from '../../src/storage/interfaces/errors.js';
import type { EventDeletion, EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { engines, type EngineDatabase } from './engines.js';
import { event, user } from './items.js';

/**
 * EventsStore.createMany (optional; a batch's run of events.create, src/api/events/events-create-group.ts):
 * all or none. The batch path relies on "none": when the write is refused it writes the run again
 * one event at a time, which would answer 409 for events a partial write had left behind.
 * PostgreSQL has it; MongoDB has not (its runs are written one event at a time), as the first test says.
 */

const USER = 'user-many';

describe('EventsStore.createMany: which engines have it', () => {
  it.each(engines)('$name', async (fixture) => {
    const db = await fixture.freshDatabase();
    try {
      const stores = await db.openStores({ keepHistory: false, deletionMode: 'keep-nothing', integrity: null });
      expect(stores.events.createMany !== undefined).toBe(fixture.name === 'postgresql');
    } finally {
      await db.dispose();
    }
  });
});

describe.each(engines.filter((f) => f.name === 'postgresql'))('EventsStore.createMany: $name', (fixture) => {
  const dbs: EngineDatabase[] = [];
  async function storesWith(policy: EventsStorePolicy): Promise<Stores & { events: { createMany: NonNullable<Stores['events']['createMany']> } }> {
    const db = await fixture.freshDatabase();
    dbs.push(db);
    const stores = await db.openStores(policy);
    await stores.users.create(user(USER));
    const { createMany } = stores.events;
    if (createMany === undefined) throw new Error(`${fixture.name}: no createMany`);
    return stores as Stores & { events: { createMany: typeof createMany } };
  }
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.dispose()));
  });
  async function deletions(stores: Stores): Promise<EventDeletion[]> {
    const out: EventDeletion[] = [];
    for await (const d of stores.events.deletionsSince(USER, 0)) out.push(d);
    return out;
  }

  it('writes every event, each as create would store it, and answers them in order', async () => {
    const stores = await storesWith({ keepHistory: false, deletionMode: 'keep-nothing', integrity: 'sha256' });
    const many = [
      event('m1', { streamIds: ['a', 'b'], content: { x: 1 }, clientData: { k: 'v' } }),
      event('m2', { duration: null, description: 'running', content: 'quote " and \\ back' }),
      event('m3', { duration: 60, trashed: true, content: null }),
    ];
    const answered = await stores.events.createMany(USER, many);
    expect(answered.map((e) => e.id)).toEqual(['m1', 'm2', 'm3']);
    const single = await stores.events.create(USER, event('s1', { streamIds: ['a', 'b'], content: { x: 1 }, clientData: { k: 'v' } }));
    for (const e of answered) {
      expect(e.integrity).toMatch(/^EVENT:0:sha256-/);
      expect(checkEventIntegrity(e)).toBe(true);
      expect(await stores.events.get(USER, e.id)).toEqual(e);
    }
    expect({ ...answered[0], id: 's1', integrity: undefined }).toEqual({ ...single, integrity: undefined });
  });

  it('all or none: one taken id refuses the whole write with DuplicateKeyError, and nothing is written', async () => {
    const stores = await storesWith({ keepHistory: false, deletionMode: 'keep-nothing', integrity: null });
    await stores.events.create(USER, event('taken', { content: 'before' }));
    await expect(stores.events.createMany(USER, [event('n1'), event('taken'), event('n2')])).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await stores.events.get(USER, 'n1')).toBeNull();
    expect(await stores.events.get(USER, 'n2')).toBeNull();
    expect((await stores.events.get(USER, 'taken'))?.content).toBe('before');
  });

  it('re-creates deleted ids: their deletion records go, and past versions where the mode kept some', async () => {
    const stores = await storesWith({ keepHistory: true, deletionMode: 'keep-everything', integrity: null });
    await stores.events.create(USER, event('d1'));
    await stores.events.update(USER, 'd1', (e) => ({ ...e, content: 'v2', modified: 2 }));
    await stores.events.delete(USER, 'd1', 10);
    expect(await stores.events.history(USER, 'd1')).toHaveLength(2);
    expect((await deletions(stores)).map((d) => d.id)).toEqual(['d1']);
    await stores.events.createMany(USER, [event('d1', { content: 'again' }), event('d2')]);
    expect((await stores.events.get(USER, 'd1'))?.content).toBe('again');
    expect(await stores.events.history(USER, 'd1')).toEqual([]);
    expect(await deletions(stores)).toEqual([]);
  });
});
