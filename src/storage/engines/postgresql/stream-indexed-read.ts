import type { EventsQuery } from '../../interfaces/events-store.js';

/**
 * Above this many streams, a read walks each stream's order only if the planner would not do
 * better: a restricted access on a broad tree (thousands of streams) mostly covers the user's events,
 * and the user's own time order (events_time) finds its 20 rows at once.
 */
export const MAX_WALKED_STREAMS = 100;

/**
 * The most of the user's latest events a read looks through before walking the streams. Worth it
 * when the streams hold a large share of the user's events: on the small data set (70 streams; a
 * parent of 10, a restricted access of 19) the walk alone cost PostgreSQL 0.70 ms a read, the
 * user's time order 0.44 (docs/benchmarks.md#stream-filtered-reads).
 */
export const MAX_RECENT_ROWS = 400;

/**
 * How many of the user's latest events to look through first, or null to walk the streams at once:
 * twice what the rows asked need if the events are spread over the streams like the query's share
 * of the user's streams (all a read knows of it), when that is at most MAX_RECENT_ROWS.
 */
export function recentRowsFirst(q: Pick<EventsQuery, 'userStreamCount'>, streams: number, wanted: number): number | null {
  if (q.userStreamCount === undefined || q.userStreamCount === 0) return null;
  const rows = Math.ceil((2 * wanted * q.userStreamCount) / streams);
  return rows <= MAX_RECENT_ROWS ? rows : null;
}

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
 * One keyset batch of events.get for a query `walkableStreams` accepted, in one statement:
 *
 * 1. With `recentRows` (recentRowsFirst): the user's next `recentRows` events in the query's order
 *    (events_time), kept when in the streams. When that gives all the rows asked, they are the
 *    answer: no event further on can come before them.
 * 2. Otherwise: the first `size + offset` entries of each stream's own time order after `last`
 *    (event_streams, an index range each), merged, one row per event (an event in two of the
 *    streams is met twice), then the events themselves. Every event of the answer is among the
 *    first `size + offset` of each stream it is in, so the merge loses none. Skipped by the
 *    executor when step 1 sufficed (a one-time filter).
 *
 * Either way the cost is bounded by the streams and rows asked for, not by the user's event count.
 */
export function streamIndexedStatement(
  userId: string,
  streams: string[],
  query: Pick<EventsQuery, 'sortAscending' | 'state'>,
  batch: BatchWindow,
  recentRows: number | null,
): { name: string; text: string; values: unknown[] } {
  const dir = query.sortAscending ? 'ASC' : 'DESC';
  const wanted = batch.size + batch.offset;
  const values: unknown[] = [userId, streams, wanted];
  const p = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const walk = ['es.user_id = $1', 'es.stream_id = s.stream_id'];
  const recent = ['user_id = $1'];
  if (query.state === 'default') {
    walk.push('NOT es.trashed');
    recent.push('NOT trashed');
  } else if (query.state === 'trashed') {
    walk.push('es.trashed');
    recent.push('trashed');
  }
  if (batch.last !== null) {
    const after = `(${p(batch.last.time)}, ${p(batch.last.id)})`;
    const op = query.sortAscending ? '>' : '<';
    walk.push(`(es.time, es.id) ${op} ${after}`);
    recent.push(`(time, id) ${op} ${after}`);
  }
  const order = (t: string): string => `${t}time ${dir}, ${t}id ${dir}`;
  const walked =
    'SELECT e.id, e.time, e.doc, e.attached_bytes IS NOT NULL AS has_attachments FROM (' +
    ' SELECT DISTINCT ON (x.time, x.id) x.time, x.id FROM unnest($2::text[]) AS s(stream_id) CROSS JOIN LATERAL (' +
    `  SELECT es.time, es.id FROM event_streams es WHERE ${walk.join(' AND ')} ORDER BY ${order('es.')} LIMIT $3` +
    ` ) x ORDER BY ${order('x.')} LIMIT $3` +
    ') top JOIN events e ON e.user_id = $1 AND e.id = top.id';
  let text =
    recentRows === null
      ? walked
      : 'WITH recent AS MATERIALIZED (SELECT r.id, r.time, r.doc, r.has_attachments FROM (' +
        ` SELECT id, time, doc, attached_bytes IS NOT NULL AS has_attachments, stream_ids FROM events WHERE ${recent.join(' AND ')} ORDER BY ${order('')} LIMIT ${p(recentRows)}` +
        ` ) r WHERE r.stream_ids && $2::text[] ORDER BY ${order('r.')} LIMIT $3)` +
        ' SELECT id, time, doc, has_attachments FROM recent WHERE (SELECT count(*) FROM recent) = $3' +
        ` UNION ALL ${walked} WHERE (SELECT count(*) FROM recent) < $3`;
  text += ` ORDER BY ${order('')}`;
  if (batch.offset > 0) text += ` OFFSET ${p(batch.offset)}`;
  // Named, so each pooled connection plans it once: planned on every call (an unnamed statement)
  // the walk cost 0.73 ms, twice its execution on a small user. Its plan is the same whatever the
  // values (the LATERAL and the LIMITs fix it), so the generic plan loses nothing.
  const name = `events-${recentRows === null ? 'walk' : 'recent-walk'}-${query.state}-${dir}${batch.last === null ? '' : '-after'}${batch.offset > 0 ? '-offset' : ''}`;
  return { name, text, values };
}
