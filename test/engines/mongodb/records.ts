import type { Db } from 'mongodb';
import { C } from '../../../src/storage/engines/mongodb/context.js';
import { userCollectionName } from '../../../src/storage/engines/mongodb/user-collections.js';
import type { StoredRecords } from '../fixtures.js';

/** StoredRecords on the mongodb engine's collections, a user's events and series chunks in their own (src/storage/engines/mongodb/user-collections.ts, docs/mongodb.md#data-layout). */
export function mongoRecords(withDb: <T>(use: (db: Db) => Promise<T>) => Promise<T>): StoredRecords {
  return {
    pendingDeliveries: (userId, webhookId) =>
      withDb(async (db) =>
        (await db.collection(C.webhookDeliveries).find({ userId, webhookId }).toArray()).map((d) => ({
          messages: d['messages'] as string[],
          sending: d['sending'] as string[] | null,
        })),
      ),
    editEventContent: (userId, eventId, content) =>
      withDb(async (db) => {
        const events = db.collection(userCollectionName('events', userId));
        const e = await events.findOne({ userId, id: eventId });
        if (e === null || typeof e['doc'] !== 'string') throw new Error(`no live event ${eventId}`);
        await events.updateOne({ _id: e._id }, { $set: { doc: JSON.stringify({ ...JSON.parse(e['doc']), content }) } });
      }),
    editAccessPermissions: (userId, accessId, permissions) =>
      withDb(async (db) => {
        await db.collection(C.accesses).updateOne({ userId, id: accessId }, { $set: { permissions } });
      }),
    stretchSeriesChunk: (userId, tMin, by) =>
      withDb(async (db) => {
        await db.collection(userCollectionName('seriesChunks', userId)).updateMany({ userId, tMin }, { $inc: { tMax: by } });
      }),
    async holdEvent(userId, eventId) {
      // The events store's lock document (src/storage/engines/mongodb/events-store.ts, lease-lock.ts),
      // with a lease long enough for the test: writers of the event wait until it is removed.
      const _id = `${C.events} ${userId} ${eventId}`;
      await withDb((db) => db.collection<{ _id: string; owner: string; until: number }>(C.locks).insertOne({ _id, owner: 'test', until: Date.now() + 120_000 }));
      return {
        writersWaiting: (n) => new Promise((r) => setTimeout(r, 1000 * n)),
        release: () =>
          withDb(async (db) => {
            await db.collection<{ _id: string }>(C.locks).deleteOne({ _id });
          }),
      };
    },
  };
}
