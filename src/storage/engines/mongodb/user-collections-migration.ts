import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import { ensureUserCollections, USER_COLLECTIONS, userCollectionName } from './user-collections.js';

/** Documents per bulk write. */
const BATCH = 1000;

/**
 * Migration 2: the shared `events`, `eventVersions` and `seriesChunks` collections of migration 1
 * become one collection per user and kind (user-collections.ts). Idempotent, so a migrator that
 * died half-way is finished by the next one: each document is upserted by its `_id` into its
 * user's collection (copied twice, it is written twice over itself), and a shared collection is
 * dropped only once all of it is copied. The core is stopped meanwhile (the master migrates before
 * it starts the workers), so nothing writes the shared collections any more.
 */
export async function moveToUserCollections(db: Db): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const base of USER_COLLECTIONS) {
    if (!existing.has(base)) continue;
    const shared = db.collection(base);
    const batches = new Map<string, AnyBulkWriteOperation<Document>[]>();
    const flush = async (userId: string): Promise<void> => {
      const ops = batches.get(userId) ?? [];
      batches.delete(userId);
      if (ops.length === 0) return;
      await ensureUserCollections(db, userId);
      await db.collection(userCollectionName(base, userId)).bulkWrite(ops, { ordered: true });
    };
    for await (const d of shared.find({}).batchSize(BATCH)) {
      const userId = String(d['userId']);
      const ops = batches.get(userId) ?? [];
      ops.push({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } });
      batches.set(userId, ops);
      if (ops.length >= BATCH) await flush(userId);
    }
    for (const userId of [...batches.keys()]) await flush(userId);
    await shared.drop();
  }
}
