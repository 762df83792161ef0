import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { C } from '../../../src/storage/engines/mongodb/context.js';
import { migrateMongo, MONGO_MIGRATIONS } from '../../../src/storage/engines/mongodb/migrations.js';
import { createMongoStores } from '../../../src/storage/engines/mongodb/stores.js';
import { moveToUserCollections } from '../../../src/storage/engines/mongodb/user-collections-migration.js';
import { DuplicateKeyError } from '../../../src/storage/interfaces/errors.js';
import type { Stores } from '../../../src/storage/interfaces/stores.js';
import { event, ids, query, user } from '../../conformance/items.js';
import { fixture } from './fixture.js';

/**
 * Each user's events, versions and series chunks in collections of their own (migration 2,
 * docs/mongodb.md#data-layout): the migration from the shared collections, idempotent when it died
 * half-way; indexes there from the first write; everything dropped with the user.
 */

const logger = createLogger({ level: 'silent', role: 'test' });
let client: MongoClient;
const drops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const probe = await fixture.freshDatabase(inject('engineServers').mongodb);
  drops.push(probe.drop);
  client = new MongoClient(String(probe.env['HOMECORE_STORAGES__MONGODB__URL']));
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  for (const drop of drops) await drop();
});

async function freshDb(): Promise<Db> {
  const fresh = await fixture.freshDatabase(inject('engineServers').mongodb);
  drops.push(fresh.drop);
  return client.db(String(fresh.env['HOMECORE_STORAGES__MONGODB__DATABASE']));
}

const storesOf = (db: Db): Stores => createMongoStores({ db }, { client, transactions: async () => false });
const names = async (db: Db): Promise<string[]> => (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
const indexNames = async (db: Db, name: string): Promise<string[]> => (await db.collection(name).listIndexes().toArray()).map((i) => String(i['name'])).sort();

/** Documents as migration 1's stores wrote them: both users in the shared collections. */
async function sharedLayout(db: Db): Promise<void> {
  await migrateMongo(db, logger, MONGO_MIGRATIONS.filter((m) => m.version === 1));
  const doc = (userId: string, id: string, time: number) => ({
    userId, id, rev: 2, streamIds: ['s'], type: 'note/txt', time, endTime: time, trashed: false, modified: 1, attachedBytes: null, deleted: null,
    doc: JSON.stringify(event(id, { time })),
  });
  await db.collection(C.events).insertMany([doc('ua', 'e1', 10), doc('ua', 'e2', 20), doc('ub', 'e3', 30)]);
  await db.collection(C.eventVersions).insertOne({ userId: 'ua', headId: 'e1', rev: 1, doc: JSON.stringify(event('e1', { content: 'old' })) });
  await db.collection(C.seriesChunks).insertOne({ userId: 'ub', eventId: 'e3', tMin: 0, tMax: 1, n: 2, points: '[0,1],[1,2]' });
}

describe('collections per user (mongodb engine)', () => {
  it('migration 2 moves every user\'s documents into their own collections and drops the shared ones', async () => {
    const db = await freshDb();
    await sharedLayout(db);
    expect(await migrateMongo(db, logger)).toEqual(MONGO_MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version));
    const all = await names(db);
    expect(all).toEqual(expect.arrayContaining(['events.ua', 'events.ub', 'eventVersions.ua', 'eventVersions.ub', 'seriesChunks.ua', 'seriesChunks.ub']));
    for (const shared of [C.events, C.eventVersions, C.seriesChunks]) expect(all).not.toContain(shared);
    expect(await indexNames(db, 'events.ua')).toEqual(['_id_', 'events_deleted', 'events_modified', 'events_pkey', 'events_stream_ids', 'events_time']);
    const stores = storesOf(db);
    expect(await ids(stores, 'ua', query())).toEqual(['e2', 'e1']);
    expect(await ids(stores, 'ub', query())).toEqual(['e3']);
    expect((await stores.events.history('ua', 'e1')).map((e) => e.content)).toEqual(['old']);
    const points: string[] = [];
    for await (const p of stores.series.read('ub', 'e3', { from: null, to: null })) points.push(p);
    expect(points.join(',')).toBe('[0,1],[1,2]');
  });

  it('migration 2 that died after copying, before dropping, finishes with one copy of each document', async () => {
    const db = await freshDb();
    await sharedLayout(db);
    // The copy of the first kind done, the shared collection not yet dropped: run it all again.
    const events = await db.collection(C.events).find({}).toArray();
    await db.collection('events.ua').insertMany(events.filter((d) => d['userId'] === 'ua'));
    await moveToUserCollections(db);
    await moveToUserCollections(db);
    expect(await db.collection('events.ua').countDocuments()).toBe(2);
    expect(await db.collection('events.ub').countDocuments()).toBe(1);
    expect(await names(db)).not.toContain(C.events);
  });

  it('a user\'s collections have their unique indexes from the first write, even without users.create', async () => {
    const db = await freshDb();
    await migrateMongo(db, logger);
    const stores = storesOf(db);
    await stores.events.create('nobody-created-me', event('x'));
    await expect(stores.events.create('nobody-created-me', event('x'))).rejects.toBeInstanceOf(DuplicateKeyError);
    // Another process (its own Db handle) makes sure of the same collections again: a no-op.
    const other = storesOf(client.db(db.databaseName));
    await other.events.create('nobody-created-me', event('y'));
    await expect(other.events.create('nobody-created-me', event('y'))).rejects.toBeInstanceOf(DuplicateKeyError);
    // Another user may use the same event id: the collections are theirs.
    await stores.events.create('someone-else', event('x'));
    expect(await ids(stores, 'someone-else', query())).toEqual(['x']);
  });

  it('users.create makes the user\'s collections, users.deleteCascade drops them', async () => {
    const db = await freshDb();
    await migrateMongo(db, logger);
    const stores = storesOf(db);
    await stores.users.create(user('u1'));
    await stores.users.create(user('u2'));
    expect(await names(db)).toEqual(expect.arrayContaining(['events.u1', 'eventVersions.u1', 'seriesChunks.u1']));
    await stores.events.create('u1', event('h', { type: 'series:mass/kg' }));
    await stores.series.write('u1', [{ eventId: 'h', deltaTimes: [0], rows: ['[0,1]'] }]);
    await stores.events.create('u2', event('k'));
    await stores.users.deleteCascade('u1');
    const left = await names(db);
    for (const gone of ['events.u1', 'eventVersions.u1', 'seriesChunks.u1']) expect(left).not.toContain(gone);
    expect(await ids(stores, 'u2', query())).toEqual(['k']);
    // The same id again (bin/restore --user): collections and unique indexes are back.
    await stores.users.create(user('u1'));
    await stores.events.create('u1', event('h'));
    await expect(stores.events.create('u1', event('h'))).rejects.toBeInstanceOf(DuplicateKeyError);
  });
});
