import type { Event } from '../../../domain/types.js';
import type { EventDeletion, EventsStorePolicy } from '../../interfaces/events-store.js';
import { C, coll, opts, snapshot, type MongoCtx } from './context.js';
import { ensureUserCollections, ucoll, userCollectionName } from './user-collections.js';
import type { EventDoc } from './event-filter.js';

/**
 * The versioning half of MongoEventsStore: past versions in `eventVersions`, keyed by the `rev` of
 * the event they were (so writing one twice, after a crash or a lost compare-and-set, keeps one),
 * and what a deletion keeps per `deletionMode`. A version at or above the event's current `rev` was
 * written by an update that never happened and is not shown.
 */

/** keep-authors: what a past version and a deletion keep, besides the id. */
export function authorsOnly(json: string): string {
  const e = JSON.parse(json) as Partial<Event>;
  return JSON.stringify({ id: e.id, modified: e.modified, modifiedBy: e.modifiedBy });
}

export async function keepVersion(ctx: MongoCtx, userId: string, id: string, rev: number, json: string): Promise<void> {
  await ensureUserCollections(ctx.db, userId);
  await ucoll(ctx, 'eventVersions', userId).updateOne({ userId, headId: id, rev }, { $setOnInsert: { doc: json } }, opts(ctx, { upsert: true }));
}

export async function versionsOf(ctx: MongoCtx, userId: string, id: string): Promise<Event[]> {
  const head = await ucoll<EventDoc>(ctx, 'events', userId).findOne({ userId, id }, opts(ctx, { projection: { rev: 1 } }));
  const below = head === null ? {} : { rev: { $lt: head.rev } };
  const docs = await ucoll(ctx, 'eventVersions', userId).find({ userId, headId: id, ...below }, opts(ctx)).sort({ rev: 1 }).toArray();
  return docs.map((d) => ({ ...(JSON.parse(String(d['doc'])) as Event), id }));
}

export async function forgetVersions(ctx: MongoCtx, userId: string, ids: string[]): Promise<void> {
  await ucoll(ctx, 'eventVersions', userId).deleteMany({ userId, headId: { $in: ids } }, opts(ctx));
}

/**
 * Deletes one event for good, as an ordered sequence of idempotent steps (no multi-document
 * transaction on FerretDB): versions first (erased or reduced per the mode, the last state kept),
 * then the event document becomes its deletion record in one atomic write, then its series points
 * go. A crash before the last write leaves the event live (deleting it again finishes); after it,
 * only series points may be left, which nothing reads any more (no holder) and users.deleteCascade
 * removes. The caller holds the event's lock.
 */
export async function deleteOne(ctx: MongoCtx, userId: string, d: EventDoc & { _id?: unknown }, deleted: number, policy: EventsStorePolicy): Promise<void> {
  const mode = policy.deletionMode;
  const json = d.doc ?? '{}';
  if (mode === 'keep-nothing') await forgetVersions(ctx, userId, [d.id]);
  if (mode === 'keep-authors') {
    const versions = ucoll(ctx, 'eventVersions', userId);
    for (const v of await versions.find({ userId, headId: d.id }, opts(ctx)).toArray()) {
      await versions.updateOne({ _id: v._id }, { $set: { doc: authorsOnly(String(v['doc'])) } }, opts(ctx));
    }
  }
  if (policy.keepHistory && mode !== 'keep-nothing') await keepVersion(ctx, userId, d.id, d.rev, mode === 'keep-authors' ? authorsOnly(json) : json);
  const deletionDoc = mode === 'keep-nothing' ? null : mode === 'keep-authors' ? authorsOnly(json) : json;
  await snapshot(ctx, userCollectionName('events', userId), { userId, id: d.id });
  await ucoll<EventDoc>(ctx, 'events', userId).updateOne(
    { userId, id: d.id },
    { $set: { deleted, deletionDoc, doc: null, streamIds: [], attachedBytes: null, rev: d.rev + 1 } },
    opts(ctx),
  );
  // Inside a compensated transaction, once it succeeded (points cannot be put back by its undo).
  if (ctx.onCommit !== undefined) ctx.onCommit.push(() => dropSeries(ctx, userId, [d.id]));
  else await dropSeries(ctx, userId, [d.id]);
}

export async function dropSeries(ctx: MongoCtx, userId: string, ids: string[]): Promise<void> {
  await ucoll(ctx, 'seriesChunks', userId).deleteMany({ userId, eventId: { $in: ids } }, opts(ctx));
  await coll(ctx, C.seriesJournal).deleteMany({ userId, eventId: { $in: ids } }, opts(ctx));
}

/** A deletion record as events.get lists it: `{id, …kept fields, deleted}`. */
export function toDeletion(d: Pick<EventDoc, 'id' | 'deleted' | 'deletionDoc'>): EventDeletion {
  const deleted = Number(d.deleted);
  if (d.deletionDoc === null || d.deletionDoc === undefined) return { id: d.id, deleted };
  return { ...(JSON.parse(d.deletionDoc) as Omit<EventDeletion, 'deleted'>), id: d.id, deleted };
}
