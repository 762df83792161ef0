import type { Document, Filter, FindOptions, Sort } from 'mongodb';
import type { Event, Stream } from '../../../domain/types.js';
import type { AccessVersionDoc } from '../../interfaces/accesses-store.js';
import type { EventDeletion } from '../../interfaces/events-store.js';
import type { UserDataRecord } from '../../interfaces/user-data-store.js';
import { type AccessDoc, toAccess } from './accesses-store.js';
import { C, coll, opts, type MongoCtx } from './context.js';
import type { EventDoc } from './event-filter.js';
import { toDeletion } from './event-versions.js';
import { MongoSeriesStore } from './series-store.js';
import type { MfaDoc } from './small-stores.js';
import { type StreamDoc, toStream } from './streams-store.js';
import { toUser, type UserDoc } from './users-store.js';
import { toWebhook, type WebhookDoc } from './webhooks-store.js';
import { ucoll, userCollectionName } from './user-collections.js';

/** Documents per round trip of the big collections (events, versions, series chunks). */
const BATCH = 1000;

/**
 * One user's data in UserDataStore's order (bin/backup). `ctx.session`, when set, is a snapshot
 * session (a replica set: every read as of one moment). Without one (FerretDB) each collection is
 * read by one query, which FerretDB answers from one SQLite read, but the collections one after the
 * other: what is written between two of them may be half seen. So dependents are only exported
 * with what they depend on (versions and series of exported events, webhooks of exported accesses,
 * histories of exported accesses): the backup always restores, on either engine, and a write that
 * raced the backup is in it whole, or only its head (docs/mongodb.md#backups).
 */
export async function* exportMongoUser(ctx: MongoCtx, userId: string): AsyncGenerator<UserDataRecord> {
  const find = <T extends Document>(name: string, filter: Filter<T>, sort: Sort, extra: FindOptions = {}) =>
    coll<T>(ctx, name).find(filter, opts(ctx, { ...extra, sort, batchSize: BATCH }));
  const user = await coll<UserDoc>(ctx, C.users).findOne({ id: userId }, opts(ctx));
  if (user === null) return;
  yield { kind: 'user', user: toUser(user) };
  for await (const p of find(C.profiles, { userId }, { id: 1 })) {
    yield { kind: 'profile', profileId: String(p['id']), data: typeof p['data'] === 'string' ? (JSON.parse(p['data']) as Record<string, unknown>) : {} };
  }
  const accesses = (await find<AccessDoc>(C.accesses, { userId }, { created: 1, id: 1 }).toArray()).map(toAccess);
  const serials = new Map(accesses.map((a) => [a.id, a.serial]));
  for (const access of accesses) yield { kind: 'access', access };
  // An entry at or above the live serial was written by an update that never happened (accesses-store.ts history).
  for await (const h of find(C.accessHistory, { userId }, { id: 1, serial: 1 })) {
    const serial = Number(h['serial']);
    const live = serials.get(String(h['id']));
    if (live === undefined || serial >= live) continue;
    yield { kind: 'access-version', accessId: String(h['id']), version: { serial, doc: JSON.parse(String(h['doc'])) as AccessVersionDoc, replaced: Number(h['replaced']) } };
  }
  const streams = await find<StreamDoc>(C.streams, { userId }, { id: 1 }).toArray();
  for (const stream of parentsFirst(streams.filter((s) => s.deleted === null).map(toStream))) yield { kind: 'stream', stream };
  const deletedStreams = streams.filter((s) => s.deleted !== null).sort((a, b) => Number(a.deleted) - Number(b.deleted));
  for (const s of deletedStreams) yield { kind: 'stream-deletion', deletion: { id: s.id, deleted: Number(s.deleted) } };
  // One query for live events and deletion records: the head `rev`s filter the versions below.
  const revs = new Map<string, number>();
  const live = new Set<string>();
  const deletions: EventDeletion[] = [];
  for await (const e of find<EventDoc>(userCollectionName('events', userId), { userId }, { id: 1 }, { projection: { id: 1, rev: 1, doc: 1, deleted: 1, deletionDoc: 1 } })) {
    revs.set(e.id, e.rev);
    if (e.deleted === null || e.deleted === undefined) {
      live.add(e.id);
      yield { kind: 'event', event: JSON.parse(e.doc ?? '{}') as Event };
    } else deletions.push(toDeletion(e));
  }
  for await (const v of find(userCollectionName('eventVersions', userId), { userId }, { headId: 1, rev: 1 })) {
    const headId = String(v['headId']);
    const rev = revs.get(headId);
    // A version at or above its head's rev was written by an update that never happened (event-versions.ts).
    if (rev === undefined || Number(v['rev']) >= rev) continue;
    yield { kind: 'event-version', headId, event: { ...(JSON.parse(String(v['doc'])) as Event), id: headId } };
  }
  deletions.sort((a, b) => a.deleted - b.deleted || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const deletion of deletions) yield { kind: 'event-deletion', deletion };
  yield* seriesOf(ctx, userId, live);
  for await (const w of find<WebhookDoc>(C.webhooks, { userId }, { created: 1, id: 1 })) {
    if (serials.has(w.accessId)) yield { kind: 'webhook', webhook: toWebhook(w) };
  }
  const mfa = await coll<MfaDoc>(ctx, C.mfa).findOne({ userId }, opts(ctx));
  if (mfa !== null) {
    yield { kind: 'mfa', record: { method: mfa.method, data: mfa.data, recoveryCodeHashes: mfa.recoveryCodeHashes, activatedAt: mfa.activatedAt }, lastTotpStep: mfa.lastTotpStep ?? null };
  }
  const verified = await coll(ctx, C.emailVerifications).findOne({ userId }, opts(ctx));
  if (verified !== null) yield { kind: 'email-verification', email: String(verified['email']), verifiedAt: Number(verified['verifiedAt']) };
}

/** Series chunks of live exported events, in order; a merge a writer left half-done is finished first. */
async function* seriesOf(ctx: MongoCtx, userId: string, live: Set<string>): AsyncGenerator<UserDataRecord> {
  // A snapshot session only reads: pending merges are left to the next writer there.
  if (ctx.session === undefined) {
    const pending = await coll(ctx, C.seriesJournal).find({ userId }, opts(ctx, { projection: { eventId: 1 } })).toArray();
    const series = new MongoSeriesStore(ctx);
    for (const j of pending) await series.recover(userId, String(j['eventId']));
  }
  const cursor = ucoll(ctx, 'seriesChunks', userId).find({ userId }, opts<FindOptions>(ctx, { sort: { eventId: 1, tMin: 1 }, batchSize: BATCH / 10 }));
  for await (const c of cursor) {
    const eventId = String(c['eventId']);
    if (!live.has(eventId)) continue;
    yield { kind: 'series', eventId, first: Number(c['tMin']), last: Number(c['tMax']), count: Number(c['n']), points: String(c['points']) };
  }
}

/** Parents before children (an importer writes them in order: sibling names are unique per parent). */
function parentsFirst(all: Stream[]): Stream[] {
  const byParent = new Map<string | null, Stream[]>();
  for (const s of all) byParent.set(s.parentId, [...(byParent.get(s.parentId) ?? []), s]);
  const known = new Set(all.map((s) => s.id));
  const queue = all.filter((s) => s.parentId === null || !known.has(s.parentId));
  for (let i = 0; i < queue.length; i += 1) queue.push(...(byParent.get((queue[i] as Stream).id) ?? []));
  return queue;
}
