import type { Document } from 'mongodb';
import type { User } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { UserDataKind, UserDataRecord } from '../../interfaces/user-data-store.js';
import { accessDoc } from './accesses-store.js';
import { C, coll, PER_USER, type MongoCtx } from './context.js';
import { type EventDoc, liveFields } from './event-filter.js';
import type { MfaDoc } from './small-stores.js';
import { type StreamDoc, streamDoc } from './streams-store.js';
import type { UserDoc } from './users-store.js';
import { webhookDoc } from './webhooks-store.js';
import { dropUserCollections, ensureUserCollections, userCollectionName } from './user-collections.js';

/** Documents per insertMany. */
const BATCH = 1000;

/**
 * Imported past versions are numbered below every rev a head can have (heads start at rev 1), in
 * their order: history shows them, oldest first, before any version a later update keeps.
 */
const IMPORTED_REV_BASE = -1e12;

/**
 * Writes one user's records (bin/restore). No transaction spans this on FerretDB (and a big user
 * would exceed a replica set's transaction limits), so all-or-nothing is obtained by order: the
 * user's documents first, the user document last. Until that last write nobody can reach them (no
 * user: every request and store call by username finds nothing); a failure removes them, and an
 * import that died part-way left documents without their user, which the next import of that user
 * id removes before writing (the user id, username and email being checked free first).
 */
export async function importMongoUser(ctx: MongoCtx, records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>> {
  const counts: Partial<Record<UserDataKind, number>> = {};
  let user: User | null = null;
  const pending = new Map<string, Document[]>();
  const versions = new Map<string, number>();
  const liveStreams = new Set<string>();
  const liveEvents = new Set<string>();
  const flush = async (name?: string): Promise<void> => {
    for (const [collection, docs] of pending) {
      if (name !== undefined && collection !== name) continue;
      if (docs.length > 0) await coll(ctx, collection).insertMany(docs, { ordered: true });
      pending.delete(collection);
    }
  };
  const add = async (collection: string, doc: Document): Promise<void> => {
    const list = pending.get(collection) ?? [];
    list.push(doc);
    pending.set(collection, list);
    if (list.length >= BATCH) await flush(collection);
  };
  try {
    for await (const r of records) {
      counts[r.kind] = (counts[r.kind] ?? 0) + 1;
      if (r.kind === 'user') {
        user = r.user;
        await claim(ctx, user);
        continue;
      }
      if (user === null) throw new Error(`a ${r.kind} record came before the user record`);
      const userId = user.id;
      switch (r.kind) {
        case 'profile':
          await add(C.profiles, { userId, id: r.profileId, data: JSON.stringify(r.data), rev: 1 });
          break;
        case 'access':
          await add(C.accesses, accessDoc(userId, r.access));
          break;
        case 'access-version':
          await add(C.accessHistory, { userId, id: r.accessId, serial: r.version.serial, doc: JSON.stringify(r.version.doc), replaced: r.version.replaced });
          break;
        case 'stream':
          liveStreams.add(r.stream.id);
          await add(C.streams, streamDoc(userId, r.stream));
          break;
        case 'stream-deletion':
          // One document per id here: a live stream re-created under a deleted id is that id.
          if (!liveStreams.has(r.deletion.id)) await add(C.streams, deletedStream(userId, r.deletion.id, r.deletion.deleted));
          break;
        case 'event':
          liveEvents.add(r.event.id);
          await add(userCollectionName('events', userId), { userId, id: r.event.id, rev: 1, ...liveFields(r.event) } satisfies EventDoc);
          break;
        case 'event-version': {
          const n = versions.get(r.headId) ?? 0;
          versions.set(r.headId, n + 1);
          await add(userCollectionName('eventVersions', userId), { userId, headId: r.headId, rev: IMPORTED_REV_BASE + n, doc: JSON.stringify(r.event) });
          break;
        }
        case 'event-deletion': {
          if (liveEvents.has(r.deletion.id)) break;
          const { id, deleted, ...kept } = r.deletion;
          await add(userCollectionName('events', userId), {
            userId, id, rev: 1, streamIds: [], type: '', time: 0, endTime: null, trashed: false, modified: deleted, doc: null, attachedBytes: null,
            deleted, deletionDoc: Object.keys(kept).length === 0 ? null : JSON.stringify({ id, ...kept }),
          } satisfies EventDoc);
          break;
        }
        case 'series':
          await add(userCollectionName('seriesChunks', userId), { userId, eventId: r.eventId, tMin: r.first, tMax: r.last, n: r.count, points: r.points });
          break;
        case 'webhook':
          await add(C.webhooks, webhookDoc(userId, r.webhook));
          break;
        case 'mfa':
          await add(C.mfa, { userId, ...r.record, lastTotpStep: r.lastTotpStep } satisfies MfaDoc);
          break;
        case 'email-verification':
          await add(C.emailVerifications, { userId, email: r.email, verifiedAt: r.verifiedAt });
          break;
      }
    }
    await flush();
    if (user !== null) {
      const doc: UserDoc = { ...user, emailKey: user.email.toLowerCase() };
      await coll<UserDoc>(ctx, C.users).insertOne(doc);
    }
    return counts;
  } catch (err) {
    // Only documents of a user this import claimed (absent before): never another user's.
    if (user !== null && !(err instanceof DuplicateKeyError)) await removeOrphans(ctx, user.id).catch(() => undefined);
    if (err instanceof Error && /E11000|duplicate key|UNIQUE constraint/i.test(err.message)) throw new DuplicateKeyError('id');
    throw err;
  }
}

/** Refuses a user whose id, username or email is taken; removes what a dead import of this id left. */
async function claim(ctx: MongoCtx, user: User): Promise<void> {
  const users = coll<UserDoc>(ctx, C.users);
  if ((await users.findOne({ username: user.username })) !== null) throw new DuplicateKeyError('username');
  if ((await users.findOne({ emailKey: user.email.toLowerCase() })) !== null) throw new DuplicateKeyError('email');
  if ((await users.findOne({ id: user.id })) !== null) throw new DuplicateKeyError('id');
  await removeOrphans(ctx, user.id);
  await ensureUserCollections(ctx.db, user.id);
}

async function removeOrphans(ctx: MongoCtx, userId: string): Promise<void> {
  if ((await coll(ctx, C.users).findOne({ id: userId })) !== null) return;
  for (const name of PER_USER) await coll(ctx, name).deleteMany({ userId });
  await dropUserCollections(ctx.db, userId);
}

/** A stream deletion as this engine keeps it: the stream's document turned into its record. */
function deletedStream(userId: string, id: string, deleted: number): StreamDoc {
  return {
    userId, id, parentId: null, name: '', siblingKey: `deleted ${id}`, clientData: null, trashed: true,
    created: deleted, createdBy: '', modified: deleted, modifiedBy: '', deleted, rev: 1,
  };
}
