import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Event } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { PgEventsStore } from '../../../src/storage/engines/postgresql/events-store.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import { DuplicateKeyError } from '../../../src/storage/interfaces/errors.js';
import type { EventsQuery } from '../../../src/storage/interfaces/events-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
let store: PgEventsStore;
const USER = 'user-1';
const OTHER = 'user-2';

const Q: EventsQuery = { streams: null, types: null, fromTime: null, toTime: null, running: null, state: 'all', modifiedSince: null, sortAscending: true, skip: 0, limit: null };

function event(id: string, extra: Partial<Event> = {}): Event {
  return {
    id,
    streamIds: ['s1'],
    type: 'note/txt',
    time: 1000,
    duration: undefined,
    content: `content ${id}`,
    description: undefined,
    clientData: undefined,
    attachments: undefined,
    trashed: false,
    created: 1,
    createdBy: 'a',
    modified: 1,
    modifiedBy: 'a',
    ...extra,
  };
}

async function ids(q: Partial<EventsQuery>, user = USER): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.find(user, { ...Q, ...q })) out.push(e.id);
  return out;
}

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 3 });
  await engine.migrate();
  const users = new PgUsersStore(engine.pool);
  for (const id of [USER, OTHER]) {
    await users.create({ id, username: `name-${id}`, email: `${id}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1 });
  }
  store = new PgEventsStore(engine.pool);
  const seed: Event[] = [
    event('point', { time: 100, streamIds: ['a'], type: 'mass/kg', content: 70, modified: 10 }),
    event('zero', { time: 200, duration: 0, streamIds: ['a', 'b'], type: 'mass/lb', modified: 20 }),
    event('period', { time: 300, duration: 100, streamIds: ['b'], type: 'note/txt', modified: 30 }),
    event('running', { time: 350, duration: null, streamIds: ['c'], type: 'note/html', modified: 40 }),
    event('trashed', { time: 500, streamIds: ['a'], trashed: true, modified: 50 }),
    event('future-running', { time: 1e12, duration: null, streamIds: ['c'], modified: 60 }),
  ];
  for (const e of seed) await store.create(USER, e);
  await store.create(OTHER, event('point', { streamIds: ['a'] }));
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('PgEventsStore', () => {
  it('round-trips the exact API form (absent, 0 and null durations)', async () => {
    const point = await store.get(USER, 'point');
    expect(point).not.toHaveProperty('duration');
    expect(point).not.toHaveProperty('description');
    expect(point).toMatchObject({ id: 'point', content: 70, streamIds: ['a'], trashed: false });
    expect((await store.get(USER, 'zero'))?.duration).toBe(0);
    expect((await store.get(USER, 'running'))?.duration).toBeNull();
    expect(await store.get(USER, 'nope')).toBeNull();
  });

  it('keeps users apart', async () => {
    expect(await ids({}, OTHER)).toEqual(['point']);
  });

  it('refuses a duplicate id with DuplicateKeyError', async () => {
    await expect(store.create(USER, event('point'))).rejects.toBeInstanceOf(DuplicateKeyError);
  });

  it.each<[string, Partial<EventsQuery>, string[]]>([
    ['state default', { state: 'default' }, ['point', 'zero', 'period', 'running', 'future-running']],
    ['state trashed', { state: 'trashed' }, ['trashed']],
    ['streams any', { streams: [{ any: ['b'], all: [], not: [] }] }, ['zero', 'period']],
    ['streams all', { streams: [{ any: ['a'], all: [['b']], not: [] }] }, ['zero']],
    ['streams not', { streams: [{ any: ['a', 'b'], all: [], not: ['b'] }] }, ['point', 'trashed']],
    ['streams OR of queries', { streams: [{ any: ['c'], all: [], not: [] }, { any: ['b'], all: [], not: ['a'] }] }, ['period', 'running', 'future-running']],
    ['empty any', { streams: [{ any: [], all: [], not: [] }] }, []],
    ['types exact', { types: { exact: ['mass/kg'], prefixes: [] } }, ['point']],
    ['types prefix', { types: { exact: [], prefixes: ['mass/'] } }, ['point', 'zero']],
    ['running', { running: true }, ['running', 'future-running']],
    ['modifiedSince (strict)', { modifiedSince: 40 }, ['trashed', 'future-running']],
    // [fromTime, toTime] membership: time ≤ toTime and end ≥ fromTime; a running event ends "now".
    ['time window catches the period by its end', { fromTime: 350, toTime: 360 }, ['period', 'running']],
    ['time window before everything', { fromTime: 0, toTime: 50 }, []],
    ['point at the window edge', { fromTime: 100, toTime: 100 }, ['point']],
    ['running events end now, not in the future', { fromTime: Date.now() / 1000 + 3600, toTime: 2e12 }, []],
    ['skip and limit', { skip: 1, limit: 2 }, ['zero', 'period']],
  ])('%s', async (_n, q, expected) => {
    expect(await ids(q)).toEqual(expected);
  });

  it('sorts by time descending by default', async () => {
    expect(await ids({ sortAscending: false, state: 'default', limit: 3 })).toEqual(['future-running', 'running', 'period']);
  });

  it('yields stored JSON text ready for the response', async () => {
    const docs: string[] = [];
    for await (const d of store.findJson(USER, { ...Q, types: { exact: ['mass/kg'], prefixes: [] } })) docs.push(d.doc);
    expect(docs).toHaveLength(1);
    expect(JSON.parse(docs[0] ?? '')).toMatchObject({ id: 'point', content: 70 });
  });

  it('updates an event and its indexed columns', async () => {
    const e = event('movable', { time: 5000, streamIds: ['x'] });
    await store.create(USER, e);
    await store.update(USER, e.id, (cur) => ({ ...cur, streamIds: ['y'], duration: null, modified: 99 }));
    expect(await ids({ streams: [{ any: ['y'], all: [], not: [] }] })).toEqual(['movable']);
    expect(await ids({ streams: [{ any: ['x'], all: [], not: [] }] })).toEqual([]);
    expect(await ids({ running: true, modifiedSince: 98 })).toEqual(['movable']);
    expect(await store.withStreams(USER, ['y', 'zz'])).toMatchObject([{ id: 'movable', streamIds: ['y'] }]);
  });

  it('records deletions in order and forgets them when the id is re-created', async () => {
    await store.create(USER, event('gone-1', { streamIds: ['d'] }));
    await store.create(USER, event('gone-2', { streamIds: ['d'] }));
    await store.delete(USER, 'gone-2', 2000);
    await store.delete(USER, 'gone-1', 2001);
    const deletions = [];
    for await (const d of store.deletionsSince(USER, 1999)) deletions.push(d);
    expect(deletions).toEqual([
      { id: 'gone-2', deleted: 2000 },
      { id: 'gone-1', deleted: 2001 },
    ]);
    expect(await store.get(USER, 'gone-1')).toBeNull();
    await store.create(USER, event('gone-1', { streamIds: ['d'] }));
    const after = [];
    for await (const d of store.deletionsSince(USER, 0)) after.push(d.id);
    expect(after).toEqual(['gone-2']);
  });

  it('streams thousands of events across keyset batches with equal times', async () => {
    const many = 2500;
    const values: Event[] = Array.from({ length: many }, (_, i) => event(`bulk${String(i).padStart(5, '0')}`, { time: 9000 + Math.floor(i / 3), streamIds: ['bulk'] }));
    for (let i = 0; i < many; i += 250) await Promise.all(values.slice(i, i + 250).map((e) => store.create(USER, e)));
    const q = { streams: [{ any: ['bulk'], all: [], not: [] }] };
    const asc = await ids({ ...q });
    expect(asc).toHaveLength(many);
    expect(new Set(asc).size).toBe(many);
    expect(asc).toEqual(values.map((e) => e.id));
    const desc = await ids({ ...q, sortAscending: false, skip: 10, limit: 1500 });
    expect(desc).toEqual(values.map((e) => e.id).reverse().slice(10, 1510));
  });

  it('counts events in storageUsed', async () => {
    const users = new PgUsersStore(engine.pool);
    const mine = await users.storageUsed(USER);
    const other = await users.storageUsed(OTHER);
    expect(mine.dbDocuments).toBeGreaterThan(other.dbDocuments);
    expect(other.dbDocuments).toBeGreaterThan(0);
  });
});
