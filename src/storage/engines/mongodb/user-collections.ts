import type { Collection, Db, Document } from 'mongodb';
import type { MongoCtx } from './context.js';

/**
 * A user's big collections are theirs alone (migration 2, docs/mongodb.md#data-layout):
 * `events.<userId>`, `eventVersions.<userId>`, `seriesChunks.<userId>`. On the embedded FerretDB
 * every query but a lookup by `_id` reads the whole collection, so this bounds a query to the
 * user's own documents instead of the whole core's; on MongoDB it keeps each user's indexes small
 * and makes deleting a user one `drop` per collection. Documents keep their `userId` (filters stay
 * the same on every collection; export and import are unchanged).
 */
export const USER_COLLECTIONS = ['events', 'eventVersions', 'seriesChunks'] as const;
export type UserCollection = (typeof USER_COLLECTIONS)[number];

type IndexDef = [string, Record<string, 1 | -1>, { unique: boolean }?];
const unique = { unique: true };

/** The indexes of each user's collections (the shared collections' of migration 1, less `userId`). */
export const USER_INDEXES: Readonly<Record<UserCollection, IndexDef[]>> = {
  // One document per event id, live or deleted (`deleted` set: the deletion record).
  events: [
    ['events_pkey', { id: 1 }, unique],
    ['events_time', { deleted: 1, time: -1, id: -1 }],
    ['events_stream_ids', { streamIds: 1, time: -1 }],
    ['events_modified', { modified: 1 }],
    ['events_deleted', { deleted: 1, id: 1 }],
  ],
  eventVersions: [['event_versions_pkey', { headId: 1, rev: 1 }, unique]],
  seriesChunks: [['series_chunks_pkey', { eventId: 1, tMin: 1 }, unique]],
};

/**
 * A user id as it appears in a collection name: ids are cuid-like (`[a-z0-9]`); anything else
 * (`$`, `.`, `%`, …, never made by the server) is %-escaped so one id maps to one name.
 */
const nameKey = (userId: string): string => userId.replace(/[^A-Za-z0-9_-]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
const idOf = (key: string): string => key.replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

export const userCollectionName = (base: UserCollection, userId: string): string => `${base}.${nameKey(userId)}`;

export function ucoll<T extends Document = Document>(ctx: MongoCtx, base: UserCollection, userId: string): Collection<T> {
  return ctx.db.collection<T>(userCollectionName(base, userId));
}

/** Users whose collections exist in this process, per database (one createIndexes round each). */
const ensured = new WeakMap<Db, Map<string, Promise<void>>>();

/**
 * Creates the user's collections and their indexes (idempotent), once per process and user. Called
 * when a user is created or imported and before each insert into a user's collection, so the
 * unique indexes exist before the first document (an insert alone would create the collection
 * without them). Outside any transaction: MongoDB creates no indexes inside one.
 */
export function ensureUserCollections(db: Db, userId: string): Promise<void> {
  let perDb = ensured.get(db);
  if (perDb === undefined) {
    perDb = new Map();
    ensured.set(db, perDb);
  }
  const known = perDb.get(userId);
  if (known !== undefined) return known;
  const done = createAll(db, userId);
  perDb.set(userId, done);
  done.catch(() => perDb.delete(userId));
  return done;
}

async function createAll(db: Db, userId: string): Promise<void> {
  for (const base of USER_COLLECTIONS) {
    const name = userCollectionName(base, userId);
    await db.createCollection(name).catch((err: { codeName?: string; code?: number }) => {
      if (err.code !== 48 && err.codeName !== 'NamespaceExists') throw err;
    });
    // One createIndex each: FerretDB 1.24 drops the connection on a createIndexes of several
    // indexes that already exist ("slice bounds out of range"); one at a time is a no-op there.
    for (const [n, key, options] of USER_INDEXES[base]) await db.collection(name).createIndex(key, { ...options, name: n });
  }
}

/** Drops the user's collections (deleting a user, or an import being undone). */
export async function dropUserCollections(db: Db, userId: string): Promise<void> {
  ensured.get(db)?.delete(userId);
  for (const base of USER_COLLECTIONS) await db.collection(userCollectionName(base, userId)).drop();
  ensured.get(db)?.delete(userId);
}

/** Ids of the users that have a `base` collection, sorted. */
export async function usersWithCollection(db: Db, base: UserCollection): Promise<string[]> {
  const prefix = `${base}.`;
  const names = await db.listCollections({}, { nameOnly: true }).toArray();
  return names.filter((c) => c.name.startsWith(prefix)).map((c) => idOf(c.name.slice(prefix.length))).sort();
}
