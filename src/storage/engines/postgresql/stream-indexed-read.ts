import type { EventsQuery } from '../../interfaces/events-store.js';

/**
 * Above this many streams, a read walks each stream's order only if the planner would not do
 * better: a restricted access on a broad tree (thousands of streams) mostly covers the user's events,
 * and the user's own time order (events_time) finds its 20 rows at once.
 */
export const MAX_WALKED_STREAMS = 100;

/** One keyset batch: the rows after `last` in the query's order, `size` of them after skipping `offset`. */
export interface BatchWindow {
  last: { time: number; id: string } | null;
  size: number;
  offset: number;
}

/**
 * The streams whose time orders can answer `q` alone (event_streams, migration 22), or null when the
 * query filters on anything `event_streams` does not hold (types, time range, content, `all`/`not`
 * sets…): those keep the general statement.
 */
export function walkableStreams(q: EventsQuery): string[] | null {
  if (q.streams === null || q.streams.length === 0) return null;
  if (q.types !== null || q.fromTime !== null || q.toTime !== null || q.running !== null || q.modifiedSince !== null) return null;
  if ((q.content ?? []).length > 0) return null;
  if (q.streams.some((c) => c.all.length > 0 || c.not.length > 0)) return null;
  const streams = [...new Set(q.streams.flatMap((c) => c.any))];
  return streams.length > 0 && streams.length <= MAX_WALKED_STREAMS ? streams : null;
}

/**
 * One keyset batch of events.get for a query `walkableStreams` accepted: the first `size + offset`
 * entries of each stream's time order after `last` (an index range each), merged, one row per event
 * (an event in two of the streams is met twice), then the events themselves. Every event of the
 * answer is among the first `size + offset` of each stream it is in, so the merge loses none. Its
 * cost is bounded by the number of streams and rows asked for, not by the user's event count.
 */
export function streamIndexedStatement(
  userId: string,
  streams: string[],
  query: Pick<EventsQuery, 'sortAscending' | 'state'>,
  batch: BatchWindow,
): { text: string; values: unknown[] } {
  const dir = query.sortAscending ? 'ASC' : 'DESC';
  const values: unknown[] = [userId, streams, batch.size + batch.offset];
  const conds = ['es.user_id = $1', 'es.stream_id = s.stream_id'];
  if (query.state === 'default') conds.push('NOT es.trashed');
  else if (query.state === 'trashed') conds.push('es.trashed');
  if (batch.last !== null) {
    values.push(batch.last.time, batch.last.id);
    conds.push(`(es.time, es.id) ${query.sortAscending ? '>' : '<'} ($4, $5)`);
  }
  let text =
    'SELECT e.id, e.time, e.doc, e.attached_bytes IS NOT NULL AS has_attachments FROM (' +
    ' SELECT DISTINCT ON (x.time, x.id) x.time, x.id FROM unnest($2::text[]) AS s(stream_id) CROSS JOIN LATERAL (' +
    `  SELECT es.time, es.id FROM event_streams es WHERE ${conds.join(' AND ')} ORDER BY es.time ${dir}, es.id ${dir} LIMIT $3` +
    ` ) x ORDER BY x.time ${dir}, x.id ${dir} LIMIT $3` +
    `) top JOIN events e ON e.user_id = $1 AND e.id = top.id ORDER BY top.time ${dir}, top.id ${dir}`;
  if (batch.offset > 0) {
    values.push(batch.offset);
    text += ` OFFSET $${values.length}`;
  }
  return { text, values };
}
