import type { Event } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { eventIntegrity } from '../../../domain/integrity.js';
import { matchesContentQuery } from '../../../domain/content-query.js';
import {
  DEFAULT_EVENTS_POLICY, type EventChange, type EventDeletion, type EventJson, type EventsQuery, type EventsStore, type EventsStorePolicy,
  type UpdateOptions,
} from '../../interfaces/events-store.js';
import { C, isDuplicateKey, opts, snapshot, type MongoCtx } from './context.js';
import { ensureUserCollections, ucoll, userCollectionName, usersWithCollection } from './user-collections.js';
import { docLock } from './cas.js';
import { type EventDoc, eventsFilter, liveFields } from './event-filter.js';
import { deleteOne, forgetVersions, keepVersion, toDeletion, versionsOf } from './event-versions.js';

/** Documents per round trip while streaming: bounded memory, few round trips. */
const BATCH = 1000;

const parse = (json: string | null): Event => JSON.parse(json ?? '{}') as Event;

export class MongoEventsStore implements EventsStore {
  constructor(
    private readonly ctx: MongoCtx,
    private readonly policy: EventsStorePolicy = DEFAULT_EVENTS_POLICY,
  ) {}

  /** The user's own events collection (user-collections.ts). */
  private events(userId: string) {
    return ucoll<EventDoc>(this.ctx, 'events', userId);
  }

  /** The event as stored: `integrity` recomputed, or dropped when off. */
  private sealed(e: Event): Event {
    const { integrity: _old, ...rest } = e;
    void _old;
    return this.policy.integrity === null ? rest : { ...rest, integrity: eventIntegrity(rest, this.policy.integrity) };
  }

  async *find(userId: string, query: EventsQuery): AsyncIterable<Event> {
    for await (const { doc } of this.findJson(userId, query)) yield parse(doc);
  }

  /**
   * One sorted cursor, read in batches. Content conditions are checked here, on the stored JSON
   * (the reference semantics of domain/content-query.ts), so skip and limit apply after them; the
   * PostgreSQL engine answers them from jsonb indexes instead (docs/mongodb.md#differences).
   */
  async *findJson(userId: string, query: EventsQuery): AsyncIterable<EventJson> {
    const dir = query.sortAscending ? 1 : -1;
    const content = query.content ?? [];
    let cursor = this.events(userId)
      .find(eventsFilter(userId, query, Date.now() / 1000), opts(this.ctx, { projection: { doc: 1, attachedBytes: 1 } }))
      .sort({ time: dir, id: dir })
      .batchSize(BATCH);
    if (content.length === 0) {
      if (query.skip > 0) cursor = cursor.skip(query.skip);
      if (query.limit !== null) {
        if (query.limit <= 0) return;
        cursor = cursor.limit(query.limit);
      }
      for await (const d of cursor) yield { doc: d.doc ?? '{}', hasAttachments: d.attachedBytes !== null && d.attachedBytes !== undefined };
      return;
    }
    let skip = query.skip;
    let left = query.limit ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return;
    try {
      for await (const d of cursor) {
        if (!matchesContentQuery(parse(d.doc), content)) continue;
        if (skip > 0) {
          skip -= 1;
          continue;
        }
        yield { doc: d.doc ?? '{}', hasAttachments: d.attachedBytes !== null && d.attachedBytes !== undefined };
        left -= 1;
        if (left <= 0) return;
      }
    } finally {
      await cursor.close();
    }
  }

  async *deletionsSince(userId: string, since: number): AsyncIterable<EventDeletion> {
    const cursor = this.events(userId)
      .find({ userId, deleted: { $gt: since } }, opts(this.ctx, { projection: { id: 1, deleted: 1, deletionDoc: 1 } }))
      .sort({ deleted: 1, id: 1 })
      .batchSize(BATCH);
    for await (const d of cursor) yield toDeletion(d);
  }

  async get(userId: string, id: string): Promise<Event | null> {
    const d = await this.events(userId).findOne({ userId, id, deleted: null }, opts(this.ctx, { projection: { doc: 1 } }));
    return d === null ? null : parse(d.doc);
  }

  history(userId: string, id: string): Promise<Event[]> {
    return versionsOf(this.ctx, userId, id);
  }

  /** Writes to one event go under its lock (cas.ts: no compare-and-set on FerretDB). */
  private locked<T>(userId: string, id: string, fn: () => Promise<T>): Promise<T> {
    return docLock(this.ctx, `${C.events} ${userId} ${id}`, fn);
  }

  async create(userId: string, event: Event): Promise<Event> {
    const e = this.sealed(event);
    const doc: EventDoc = { userId, id: e.id, rev: 1, ...liveFields(e) };
    await ensureUserCollections(this.ctx.db, userId);
    await snapshot(this.ctx, userCollectionName('events', userId), { userId, id: e.id });
    try {
      // A copy: the driver adds `_id` to the document it inserts.
      await this.events(userId).insertOne({ ...doc }, opts(this.ctx));
      return e;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    // The id is taken: by a deletion record, the event is re-created (with no history) in its place.
    return this.locked(userId, e.id, async () => {
      const tomb = await this.events(userId).findOne({ userId, id: e.id, deleted: { $ne: null } }, opts(this.ctx, { projection: { rev: 1 } }));
      if (tomb === null) throw new DuplicateKeyError('id');
      if (this.policy.deletionMode !== 'keep-nothing') await forgetVersions(this.ctx, userId, [e.id]);
      await this.events(userId).replaceOne({ userId, id: e.id }, doc, opts(this.ctx));
      return e;
    });
  }

  /**
   * Read, apply `change`, write, under the event's lock: two concurrent updates are serialised, the
   * second works on the first one's result, no acknowledged change is lost. The past version is
   * keyed by the `rev` it had, so one written by an update that then failed is not shown (versionsOf).
   */
  async update(userId: string, id: string, change: EventChange, options: UpdateOptions = {}): Promise<{ before: Event; after: Event } | null> {
    return this.locked(userId, id, async () => {
      const d = await this.events(userId).findOne({ userId, id, deleted: null }, opts(this.ctx, { projection: { doc: 1, rev: 1 } }));
      if (d === null) return null;
      const before = parse(d.doc);
      const after = this.sealed(change(before));
      if (after.id !== id) throw new Error(`an event update cannot change the id (${id} → ${after.id})`);
      if (this.policy.keepHistory && options.skipVersion !== true && d.doc !== null) await keepVersion(this.ctx, userId, id, d.rev, d.doc);
      await snapshot(this.ctx, userCollectionName('events', userId), { _id: d._id });
      await this.events(userId).updateOne({ _id: d._id }, { $set: { ...liveFields(after), rev: d.rev + 1 } }, opts(this.ctx));
      return { before, after };
    });
  }

  async delete(userId: string, id: string, deleted: number): Promise<void> {
    await this.deleteMany(userId, [id], deleted);
  }

  /**
   * One event at a time, each under its lock, as ordered idempotent steps (event-versions.ts
   * deleteOne): a deletion that dies half-way leaves every event either live or deleted, and calling
   * it again finishes it.
   */
  async deleteMany(userId: string, ids: string[], deleted: number): Promise<void> {
    for (const id of ids) {
      await this.locked(userId, id, async () => {
        const d = await this.events(userId).findOne({ userId, id, deleted: null }, opts(this.ctx));
        if (d !== null) await deleteOne(this.ctx, userId, d, deleted, this.policy);
      });
    }
  }

  /** User by user (sorted by id), each user's events by id. */
  async *scanAll(): AsyncIterable<{ userId: string; event: Event }> {
    for (const userId of await usersWithCollection(this.ctx.db, 'events')) {
      const cursor = this.events(userId).find({ deleted: null }, opts(this.ctx, { projection: { doc: 1 } })).sort({ id: 1 }).batchSize(BATCH);
      for await (const d of cursor) yield { userId, event: parse(d.doc) };
    }
  }

  async withStreams(userId: string, streamIds: string[]): Promise<Event[]> {
    const docs = await this.events(userId)
      .find({ userId, deleted: null, streamIds: { $in: streamIds } }, opts(this.ctx, { projection: { doc: 1 } }))
      .sort({ time: 1, id: 1 })
      .toArray();
    return docs.map((d) => parse(d.doc));
  }
}
