import type { ClientSession, Collection, Db, Document } from 'mongodb';

/**
 * What the MongoDB stores work through: the database, and the session of the surrounding
 * transaction when the server has transactions (a real replica set) and the caller is inside
 * `Stores.transaction`. FerretDB 1.24 has none: there `session` is always undefined and each store
 * method is written to be correct one document at a time (docs/mongodb.md#guarantees).
 */
export interface MongoCtx {
  db: Db;
  session?: ClientSession;
  /**
   * Inside `Stores.transaction` on a server without transactions: how to put back what the
   * transaction wrote, should it fail (compensation, newest first; stores.ts).
   */
  undo?: (() => Promise<void>)[];
  /** Same: what waits until the compensated transaction has succeeded. */
  onCommit?: (() => Promise<void>)[];
}

/** Collection names (one place, so migrations and stores agree). */
export const C = {
  migrations: 'schemaMigrations',
  locks: 'locks',
  coreInfo: 'coreInfo',
  users: 'users',
  accesses: 'accesses',
  accessHistory: 'accessHistory',
  profiles: 'profiles',
  streams: 'streams',
  events: 'events',
  eventVersions: 'eventVersions',
  seriesChunks: 'seriesChunks',
  seriesJournal: 'seriesJournal',
  keyValues: 'keyValues',
  webhooks: 'webhooks',
  webhookDeliveries: 'webhookDeliveries',
  attempts: 'authAttempts',
  mfa: 'userMfa',
  mailTemplates: 'mailTemplates',
  emailVerifications: 'emailVerifications',
} as const;

/**
 * Shared collections holding rows of one user (`userId`), emptied by users.deleteCascade. Events,
 * their versions and series chunks are in collections of each user's own (user-collections.ts).
 */
export const PER_USER = [
  C.accessHistory, C.accesses, C.profiles, C.streams, C.seriesJournal, C.webhookDeliveries, C.webhooks, C.mfa, C.emailVerifications,
] as const;

export function coll<T extends Document = Document>(ctx: MongoCtx, name: string): Collection<T> {
  return ctx.db.collection<T>(name);
}

/** Driver options carrying the transaction's session, if any. */
export function opts<T extends object>(ctx: MongoCtx, extra?: T): T & { session?: ClientSession } {
  return { ...(extra ?? ({} as T)), ...(ctx.session === undefined ? {} : { session: ctx.session }) };
}

/**
 * Before a write inside a compensated transaction (ctx.undo set): keeps the documents `filter`
 * matches now, so a failure of the transaction puts them back as they were (and removes documents
 * the write created). A no-op elsewhere.
 */
export async function snapshot(ctx: MongoCtx, collection: string, filter: Document): Promise<void> {
  if (ctx.undo === undefined) return;
  const c = ctx.db.collection(collection);
  const before = await c.find(filter).toArray();
  ctx.undo.push(async () => {
    const keep = new Set(before.map((d) => String(d._id)));
    for (const d of await c.find(filter).toArray()) if (!keep.has(String(d._id))) await c.deleteOne({ _id: d._id });
    for (const d of before) await c.replaceOne({ _id: d._id }, d, { upsert: true });
  });
}

/**
 * A unique index refused the write: E11000 (MongoDB, FerretDB inserts), or FerretDB's SQLite error
 * on an update ("UNIQUE constraint failed: index '<table>_<index>'", no code).
 */
export function isDuplicateKey(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { code?: unknown }).code === 11000) return true;
  return err instanceof Error && /UNIQUE constraint failed|duplicate key/i.test(err.message);
}

/**
 * Whether a duplicate-key error names index `name`: MongoDB says `index: name`, FerretDB prefixes
 * the table (`index: accesses_9d8d6efb_accesses_token`, `index 'users_5e7cc513_users_email'`).
 */
export function duplicateIndex(err: unknown, name: string): boolean {
  const message = err instanceof Error ? err.message : '';
  const found = /index:? '?([\w.$-]+)'?/.exec(message)?.[1] ?? '';
  return found === name || found.endsWith(`_${name}`);
}

/** Field names in stored documents cannot hold `.` or start with `$`: API keys are encoded. */
export const encodeKey = (k: string): string => k.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
export const decodeKey = (k: string): string => k.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
