import type { Document, Filter } from 'mongodb';
import type { Event } from '../../../domain/types.js';
import type { EventsQuery } from '../../interfaces/events-store.js';

/**
 * An event as stored (collection `events`): one document per event id. `doc` is the event's exact
 * API JSON (written straight into events.get answers, and free of the field-name rules of stored
 * documents: content keys may hold dots or `$`); the other fields exist for filtering and sorting.
 * `endTime` = time + duration, null while running. A deletion keeps the document as the deletion
 * record: `deleted` set, `doc` null, `deletionDoc` = what the deletion mode keeps (JSON or null).
 * `rev` counts writes: the compare-and-set of events.update.
 */
export interface EventDoc {
  userId: string;
  id: string;
  streamIds: string[];
  type: string;
  time: number;
  endTime: number | null;
  trashed: boolean;
  modified: number;
  doc: string | null;
  attachedBytes: number | null;
  deleted: number | null;
  deletionDoc: string | null;
  rev: number;
}

/** Key order of the stored JSON, i.e. of the API form (as the PostgreSQL engine's eventDoc). */
export function eventJson(e: Event): string {
  return JSON.stringify({
    id: e.id, time: e.time, duration: e.duration, streamIds: e.streamIds, type: e.type, content: e.content,
    description: e.description, clientData: e.clientData, attachments: e.attachments, trashed: e.trashed,
    created: e.created, createdBy: e.createdBy, modified: e.modified, modifiedBy: e.modifiedBy, integrity: e.integrity,
  });
}

/** The filter and sort fields of a live event. */
export function liveFields(e: Event): Omit<EventDoc, 'userId' | 'id' | 'rev'> {
  const bytes = e.attachments === undefined || e.attachments.length === 0 ? null : e.attachments.reduce((s, a) => s + a.size, 0);
  return {
    streamIds: e.streamIds, type: e.type, time: e.time, endTime: e.duration === null ? null : e.time + (e.duration ?? 0),
    trashed: e.trashed, modified: e.modified, doc: eventJson(e), attachedBytes: bytes, deleted: null, deletionDoc: null,
  };
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const NOTHING: Filter<Document> = { id: { $in: [] } };

/**
 * events.get's query (all but content conditions, sort and paging) as a filter on live events.
 * Shaped for FerretDB: conditions sit at the top level, one per field, and only what cannot
 * (a second condition on a field, `$or`) goes under `$and`. FerretDB's PostgreSQL backend pushes
 * top-level equalities (`userId`, `deleted`, `trashed`) down to SQL, and skips everything under a
 * `$` key; its SQLite backend evaluates a flat filter faster too (docs/mongodb.md#read-speed).
 */
export function eventsFilter(userId: string, q: EventsQuery, now: number): Filter<Document> {
  const top: Record<string, unknown> = { userId, deleted: null };
  const and: Filter<Document>[] = [];
  const put = (field: string, condition: unknown): void => {
    if (field in top) and.push({ [field]: condition });
    else top[field] = condition;
  };
  if (q.state === 'default') put('trashed', false);
  else if (q.state === 'trashed') put('trashed', true);
  if (q.streams !== null) {
    if (q.streams.length === 0) return NOTHING;
    if (q.streams.length === 1) {
      const c = q.streams[0] as NonNullable<EventsQuery['streams']>[number];
      put('streamIds', { $in: c.any });
      for (const set of c.all) put('streamIds', { $in: set });
      if (c.not.length > 0) put('streamIds', { $nin: c.not });
    } else {
      and.push({ $or: q.streams.map((c) => {
        const parts: Filter<Document>[] = [{ streamIds: { $in: c.any } }];
        for (const set of c.all) parts.push({ streamIds: { $in: set } });
        if (c.not.length > 0) parts.push({ streamIds: { $nin: c.not } });
        return parts.length === 1 ? (parts[0] as Filter<Document>) : { $and: parts };
      }) });
    }
  }
  if (q.types !== null) {
    const prefixes = q.types.prefixes.map((prefix) => ({ type: { $regex: `^${escapeRegex(prefix)}` } }));
    if (q.types.exact.length === 0 && prefixes.length === 0) return NOTHING;
    if (prefixes.length === 0) put('type', q.types.exact.length === 1 ? q.types.exact[0] : { $in: q.types.exact });
    else if (q.types.exact.length === 0 && prefixes.length === 1) put('type', (prefixes[0] as { type: unknown }).type);
    else and.push({ $or: [...(q.types.exact.length > 0 ? [{ type: { $in: q.types.exact } }] : []), ...prefixes] });
  }
  if (q.toTime !== null) put('time', { $lte: q.toTime });
  // In range when it ends at or after fromTime; a running event ends "now" (Pryv API §2.1).
  if (q.fromTime !== null) {
    if (now >= q.fromTime) and.push({ $or: [{ endTime: { $gte: q.fromTime } }, { endTime: null }] });
    else put('endTime', { $gte: q.fromTime });
  }
  if (q.running === true) put('endTime', null);
  else if (q.running === false) put('endTime', { $ne: null });
  if (q.modifiedSince !== null) put('modified', { $gt: q.modifiedSince });
  return and.length === 0 ? top : { ...top, $and: and };
}
