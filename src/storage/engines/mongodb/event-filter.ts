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

/** events.get's query (all but content conditions, sort and paging) as a filter on live events. */
export function eventsFilter(userId: string, q: EventsQuery, now: number): Filter<Document> {
  const and: Filter<Document>[] = [{ userId }, { deleted: null }];
  if (q.state === 'default') and.push({ trashed: false });
  else if (q.state === 'trashed') and.push({ trashed: true });
  if (q.streams !== null) {
    const clauses = q.streams.map((c) => {
      const parts: Filter<Document>[] = [{ streamIds: { $in: c.any } }];
      for (const set of c.all) parts.push({ streamIds: { $in: set } });
      if (c.not.length > 0) parts.push({ streamIds: { $nin: c.not } });
      return parts.length === 1 ? (parts[0] as Filter<Document>) : { $and: parts };
    });
    and.push(clauses.length === 0 ? NOTHING : clauses.length === 1 ? (clauses[0] as Filter<Document>) : { $or: clauses });
  }
  if (q.types !== null) {
    const ors: Filter<Document>[] = [];
    if (q.types.exact.length > 0) ors.push({ type: { $in: q.types.exact } });
    for (const prefix of q.types.prefixes) ors.push({ type: { $regex: `^${escapeRegex(prefix)}` } });
    and.push(ors.length === 0 ? NOTHING : ors.length === 1 ? (ors[0] as Filter<Document>) : { $or: ors });
  }
  if (q.toTime !== null) and.push({ time: { $lte: q.toTime } });
  // In range when it ends at or after fromTime; a running event ends "now" (Pryv API §2.1).
  if (q.fromTime !== null) and.push(now >= q.fromTime ? { $or: [{ endTime: { $gte: q.fromTime } }, { endTime: null }] } : { endTime: { $gte: q.fromTime } });
  if (q.running === true) and.push({ endTime: null });
  else if (q.running === false) and.push({ endTime: { $ne: null } });
  if (q.modifiedSince !== null) and.push({ modified: { $gt: q.modifiedSince } });
  return { $and: and };
}
