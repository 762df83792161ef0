import type { Event } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { eventIntegrity } from '../../../domain/integrity.js';
import {
  DEFAULT_EVENTS_POLICY, type EventChange, type EventDeletion, type EventJson, type EventsQuery, type EventsStore, type EventsStorePolicy,
  type UpdateOptions,
} from '../../interfaces/events-store.js';
import { isUniqueViolation, num } from './rows.js';
import { eventColumns } from './event-columns.js';
import { inTransaction, type Db } from './db.js';
import { deleteWithPolicy, forgetVersions, keepVersion, toDeletion, versionsOf } from './event-versions.js';
import { insertEventRows } from './events-insert-many.js';
import type { BatchWindow } from './stream-indexed-read.js';
import { batchPieces, joinedStatement, READ_BATCH as BATCH, readStatement, whereClause, type JoinedBatch } from './events-read-statement.js';

/**
 * Layout (migrations 3–4, 8–10): each event is one row holding its exact API JSON in `doc` plus the columns
 * events.get filters and sorts on. `end_time` is `time + duration` (`time` for point events) and
 * NULL for running events, so the §2.1 time-range test is a few index-bounded comparisons.
 * `attached_bytes` is the total size of its attached files, NULL when it has none. `stream_keys`
 * holds "<userId> <streamId>" per stream, for the GIN index of stream filters; `content` /
 * `client_data` (jsonb) serve content queries (content-sql.ts). All three derive from the event and
 * are written with it (event-columns.ts, migration 20).
 */

/** Key order of the stored JSON, i.e. of the API form (undefined fields are dropped by JSON.stringify). */
export function eventDoc(e: Event): string {
  return JSON.stringify({
    id: e.id,
    time: e.time,
    duration: e.duration,
    streamIds: e.streamIds,
    type: e.type,
    content: e.content,
    description: e.description,
    clientData: e.clientData,
    attachments: e.attachments,
    trashed: e.trashed,
    created: e.created,
    createdBy: e.createdBy,
    modified: e.modified,
    modifiedBy: e.modifiedBy,
    integrity: e.integrity,
  });
}

export function endTime(e: Event): number | null {
  if (e.duration === null) return null;
  return e.time + (e.duration ?? 0);
}

/** NULL when the event has no attachments (a file may be empty, so 0 would not say it). */
export function attachedBytes(e: Event): number | null {
  if (e.attachments === undefined || e.attachments.length === 0) return null;
  return e.attachments.reduce((sum, a) => sum + a.size, 0);
}

const parseDoc = (doc: string): Event => JSON.parse(doc) as Event;

/** stream_keys, content, client_data (migration 20): supplied by the writer, never left to the trigger. */
function columnValues(userId: string, e: Event): [string[], string | null, string | null] {
  const c = eventColumns(userId, e);
  return [c.streamKeys, c.content, c.clientData];
}

export class PgEventsStore implements EventsStore {
  constructor(
    private readonly pool: Db,
    private readonly policy: EventsStorePolicy = DEFAULT_EVENTS_POLICY,
  ) {}

  /** The event as stored: `integrity` recomputed, or dropped (a stale one would be a lie) when off. */
  private sealed(e: Event): Event {
    const { integrity: _old, ...rest } = e;
    void _old;
    return this.policy.integrity === null ? rest : { ...rest, integrity: eventIntegrity(rest, this.policy.integrity) };
  }

  async *find(userId: string, query: EventsQuery): AsyncIterable<Event> {
    for await (const { doc } of this.findJson(userId, query)) yield* JSON.parse(`[${doc}]`) as Event[];
  }

  /**
   * Keyset batches on (time, id) rather than a server-side cursor: no connection stays pinned while
   * a slow client reads the response, and each batch is one indexed range scan, answered as one
   * row of joined docs (joinedStatement).
   */
  async *findJson(userId: string, query: EventsQuery): AsyncIterable<EventJson> {
    const now = Date.now() / 1000;
    const where = whereClause(userId, query, now);
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    let offset = query.skip;
    let last: { time: number; id: string } | null = null;
    while (remaining > 0) {
      const size = Math.min(BATCH, remaining);
      const b: BatchWindow = { last, size, offset };
      // Within the limit another batch may follow this one: the keys of its last row are needed.
      const more = remaining > size;
      const st = joinedStatement(readStatement(userId, query, where, b, now), query.sortAscending, more);
      const { rows } = await this.pool.query<JoinedBatch>(st);
      offset = 0;
      const batch = rows[0];
      if (batch === undefined) return;
      for (const piece of batchPieces(batch)) yield piece;
      const { last_time: time, last_id: id } = batch;
      if (!more || batch.n < size || typeof id !== 'string' || time === undefined || time === null) return;
      remaining -= batch.n;
      last = { time: num(time), id };
    }
  }

  async *deletionsSince(userId: string, since: number): AsyncIterable<EventDeletion> {
    let last: { deleted: number; id: string } | null = null;
    for (;;) {
      const params: unknown[] = [userId, since, BATCH];
      let text = 'SELECT id, deleted, doc FROM event_deletions WHERE user_id = $1 AND deleted > $2';
      if (last !== null) {
        params.push(last.deleted, last.id);
        text += ' AND (deleted, id) > ($4, $5)';
      }
      const { rows } = await this.pool.query<{ id: string; deleted: number; doc: string | null }>(`${text} ORDER BY deleted, id LIMIT $3`, params);
      for (const r of rows) yield toDeletion(r);
      const tail = rows[rows.length - 1];
      if (rows.length < BATCH || tail === undefined) return;
      last = { deleted: num(tail.deleted), id: tail.id };
    }
  }

  async get(userId: string, id: string): Promise<Event | null> {
    // Named: parsed and planned once per pooled connection, not on every call (hot path, docs/benchmarks.md).
    const { rows } = await this.pool.query<{ doc: string }>({ name: 'events-get', text: 'SELECT doc FROM events WHERE user_id = $1 AND id = $2', values: [userId, id] });
    return rows[0] === undefined ? null : parseDoc(rows[0].doc);
  }

  async history(userId: string, id: string): Promise<Event[]> {
    return versionsOf(this.pool, userId, id);
  }

  async create(userId: string, event: Event): Promise<Event> {
    const e = this.sealed(event);
    try {
      // Named: parsed and planned once per pooled connection, not on every call (hot path, docs/benchmarks.md).
      await this.pool.query({
        name: 'events-create',
        text: `WITH revived AS (DELETE FROM event_deletions WHERE user_id = $1 AND id = $2)
         INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc, attached_bytes, stream_keys, content, client_data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        values: [userId, e.id, e.streamIds, e.type, e.time, endTime(e), e.trashed, e.modified, eventDoc(e), attachedBytes(e), ...columnValues(userId, e)],
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('id');
      throw err;
    }
    // A re-created id (its deletion kept versions) starts with no history; only now that the insert
    // proved the id was free.
    if (this.policy.deletionMode !== 'keep-nothing') await forgetVersions(this.pool, userId, [e.id]);
    return e;
  }

  async createMany(userId: string, events: readonly Event[]): Promise<Event[]> {
    const sealed = events.map((e) => this.sealed(e));
    const rows = sealed.map((e) => ({ event: e, endTime: endTime(e), doc: eventDoc(e), attachedBytes: attachedBytes(e) }));
    await insertEventRows(this.pool, userId, rows, this.policy.deletionMode !== 'keep-nothing').catch((err: unknown) => {
      throw isUniqueViolation(err) ? new DuplicateKeyError('id') : err;
    });
    return sealed;
  }

  /**
   * The row is locked (SELECT … FOR UPDATE) from the read to the write, in one transaction (or the
   * caller's, inside Stores.transaction): a concurrent update waits for this one and then reads its
   * result, so no acknowledged change is lost. `change` runs once here, with no I/O under the lock.
   */
  async update(userId: string, id: string, change: EventChange, options: UpdateOptions = {}): Promise<{ before: Event; after: Event } | null> {
    return inTransaction(this.pool, async (db) => {
      const { rows } = await db.query<{ doc: string }>({
        name: 'events-get-for-update',
        text: 'SELECT doc FROM events WHERE user_id = $1 AND id = $2 FOR UPDATE',
        values: [userId, id],
      });
      if (rows[0] === undefined) return null;
      const before = parseDoc(rows[0].doc);
      const after = this.sealed(change(before));
      if (after.id !== id) throw new Error(`an event update cannot change the id (${id} → ${after.id})`);
      if (this.policy.keepHistory && options.skipVersion !== true) await keepVersion(db, userId, id, rows[0].doc);
      await db.query({
        name: 'events-update',
        text: `UPDATE events SET stream_ids = $3, type = $4, time = $5, end_time = $6, trashed = $7, modified = $8, doc = $9,
           attached_bytes = $10, stream_keys = $11, content = $12, client_data = $13
         WHERE user_id = $1 AND id = $2`,
        values: [userId, id, after.streamIds, after.type, after.time, endTime(after), after.trashed, after.modified, eventDoc(after), attachedBytes(after),
          ...columnValues(userId, after)],
      });
      return { before, after };
    });
  }

  async delete(userId: string, id: string, deleted: number): Promise<void> {
    await this.deleteMany(userId, [id], deleted);
  }

  async deleteMany(userId: string, ids: string[], deleted: number): Promise<void> {
    if (ids.length === 0) return;
    await inTransaction(this.pool, (db) => deleteWithPolicy(db, userId, ids, deleted, this.policy));
  }

  async *scanAll(): AsyncIterable<{ userId: string; event: Event }> {
    let last: [string, string] = ['', ''];
    for (;;) {
      const { rows } = await this.pool.query<{ user_id: string; id: string; doc: string }>(
        'SELECT user_id, id, doc FROM events WHERE (user_id, id) > ($1, $2) ORDER BY user_id, id LIMIT $3',
        [...last, BATCH],
      );
      for (const r of rows) yield { userId: r.user_id, event: parseDoc(r.doc) };
      const tail = rows[rows.length - 1];
      if (rows.length < BATCH || tail === undefined) return;
      last = [tail.user_id, tail.id];
    }
  }

  async withStreams(userId: string, streamIds: string[]): Promise<Event[]> {
    const { rows } = await this.pool.query<{ doc: string }>(
      'SELECT doc FROM events WHERE user_id = $1 AND stream_keys && $2::text[] ORDER BY time, id',
      [userId, streamIds.map((id) => `${userId} ${id}`)],
    );
    return rows.map((r) => parseDoc(r.doc));
  }
}
