import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/domain/types.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { engines, type EngineDatabase } from './engines.js';
import { event, eventDeletions, stream, user } from './items.js';

/**
 * Concurrent writes from two workers (two engines opened on one database, as two processes would),
 * against every engine (issue #14): two concurrent updates of one event both survive (the store
 * serializes them; the interface allows no conflict error for events.update), and every other
 * read-modify-write the stores offer keeps every acknowledged change.
 */
const U = 'user-c';

describe.each(engines)('concurrent writers: $name', (fixture) => {
  let db: EngineDatabase;
  let a: Stores;
  let b: Stores;
  beforeAll(async () => {
    db = await fixture.freshDatabase();
    a = await db.openStores();
    b = await db.openStores();
    await a.users.create(user(U));
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('two concurrent updates of one event, from two workers: both acknowledged changes survive', async () => {
    for (let round = 0; round < 20; round += 1) {
      const id = `two-${round}`;
      await a.events.create(U, event(id, { clientData: {} }));
      const [ra, rb] = await Promise.all([
        a.events.update(U, id, (e) => ({ ...e, clientData: { ...e.clientData, fromA: round }, description: 'A' })),
        b.events.update(U, id, (e) => ({ ...e, clientData: { ...e.clientData, fromB: round }, content: 'B' })),
      ]);
      expect(ra).not.toBeNull();
      expect(rb).not.toBeNull();
      const stored = await b.events.get(U, id);
      expect(stored).toMatchObject({ clientData: { fromA: round, fromB: round }, description: 'A', content: 'B' });
      // The later of the two saw the earlier one's change.
      const later = ra?.after.content === 'B' ? ra : rb;
      expect(later?.after).toEqual(stored);
    }
  });

  it('many updates of one event split over two workers each apply on the previous one', async () => {
    await a.events.create(U, event('counter', { clientData: { n: 0 } }));
    const bump = (e: Event): Event => ({ ...e, clientData: { n: Number(e.clientData?.['n']) + 1 } });
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).events.update(U, 'counter', bump)));
    expect(results.map((r) => Number(r?.after.clientData?.['n'])).sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect((await a.events.get(U, 'counter'))?.clientData).toEqual({ n: 24 });
  });

  it('an update racing a deletion: the event ends deleted, and the update either applied before or answered null', async () => {
    for (let round = 0; round < 10; round += 1) {
      const id = `gone-${round}`;
      await a.events.create(U, event(id));
      const [updated] = await Promise.all([a.events.update(U, id, (e) => ({ ...e, content: 'late' })), b.events.delete(U, id, 100 + round)]);
      if (updated !== null) expect(updated.after.content).toBe('late');
      expect(await a.events.get(U, id)).toBeNull();
      expect(await b.events.get(U, id)).toBeNull();
    }
    expect((await eventDeletions(a, U)).filter((d) => d.id.startsWith('gone-'))).toHaveLength(10);
  });

  it('streams clientData and profiles merged from two workers keep every key', async () => {
    await a.streams.create(U, stream('shared'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).streams.update(U, 'shared', { clientData: { [`k${i}`]: i }, modified: 2, modifiedBy: 'x' })));
    expect(Object.keys((await b.streams.get(U, 'shared'))?.clientData ?? {})).toHaveLength(20);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).profile.update(U, 'private', { [`p${i}`]: i })));
    expect(Object.keys(await a.profile.get(U, 'private'))).toHaveLength(20);
  });

  it('single-use records and access versions: one winner across workers', async () => {
    await a.keyValue.put('token', 'secret', Date.now() / 1000 + 60);
    const taken = await Promise.all([a.keyValue.take('token'), b.keyValue.take('token'), a.keyValue.take('token'), b.keyValue.take('token')]);
    expect(taken.filter((v) => v !== null)).toEqual(['secret']);
    await a.accesses.create(U, {
      id: 'acc', tokenHash: 'h', tokenSealed: 's', type: 'app', name: 'n', deviceName: null, permissions: [], expires: null, lastUsed: null,
      calls: {}, clientData: null, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', deleted: null,
    });
    const prev = { doc: { id: 'acc', type: 'app' as const, name: 'n', deviceName: null, permissions: [], expires: null, lastUsed: null, clientData: null, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a' }, replaced: 2 };
    const versions = await Promise.all([a, b, a, b].map((st, i) => st.accesses.updateVersioned(U, 'acc', 0, { name: `v${i}`, modified: 2, modifiedBy: 'x' }, prev)));
    expect(versions.filter((v) => v !== null)).toHaveLength(1);
    expect(await b.accesses.history(U, 'acc')).toHaveLength(1);
  });

  it('series points written by two workers to one series are all kept', async () => {
    await a.events.create(U, event('holder', { type: 'series:count/generic', content: null }));
    await Promise.all(Array.from({ length: 8 }, (_, w) => {
      const dts = Array.from({ length: 25 }, (_, i) => w + i * 8);
      return (w % 2 === 0 ? a : b).series.write(U, [{ eventId: 'holder', deltaTimes: dts, rows: dts.map((dt) => JSON.stringify([dt, w])) }]);
    }));
    const pieces: string[] = [];
    for await (const p of a.series.read(U, 'holder', { from: null, to: null })) pieces.push(p);
    expect((JSON.parse(`[${pieces.join(',')}]`) as number[][]).map(([dt]) => dt)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
