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
 * of the user's streams (all a read knows of it), when that is at most MAX_RECENT_ROWS. Never for a
 * time range.
 */
export function recentRowsFirst(q: Pick<EventsQuery, 'userStreamCount' | 'fromTime' | 'toTime'>, streams: number, wanted: number): number | null {
  if (q.userStreamCount === undefined || q.userStreamCount === 0) return null;
  // A time range's events are not the user's latest: the walk alone is bounded by the range.
  if (q.fromTime !== null || q.toTime !== null) return null;
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
 * query filters on anything `event_streams` does not hold (types, content, `all`/`not` sets…): those
 * keep the general statement. A time range is walked too (each stream's entries between fromTime
 * and toTime, plus the periods and running events that began before fromTime), except a range that
 * starts after `now`: running events are then out of it whatever their start, and event_streams
 * cannot tell them from the others.
 */
export function walkableStreams(q: EventsQuery, now: number): string[] | null {
  if (q.streams === null || q.streams.length === 0) return null;
  if (q.types !== null || q.running !== null || q.modifiedSince !== null) return null;
  if (q.fromTime !== null && q.fromTime > now) return null;
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
 * With a time range, step 2 walks each stream between fromTime and toTime, and the merge also takes
 * the first `size + offset` of the periods and of the running events in the streams that began
 * before fromTime and reach into the range (events_periods, events_running: few rows). Together
 * they are the rows of whereClause's range condition: an event starting in the range, a period
 * ending in or after it, a running event (`now` is past fromTime, walkableStreams saw to it).
 *
 * Either way the cost is bounded by the streams and rows asked for, not by the user's event count,
 * and the plan does not hang on the table's statistics: for a restricted time range the general
 * statement, planned on every call, chose between the user's time order and a bitmap of every event
 * of the streams (1,900 rows for 11 on the big user of a full core;
 * docs/benchmarks.md#restricted-time-range-on-a-full-core).
 */
export function streamIndexedStatement(
  userId: string,
  streams: string[],
  query: Pick<EventsQuery, 'sortAscending' | 'state' | 'fromTime' | 'toTime'>,
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
  const state = query.state === 'default' ? 'NOT ' : query.state === 'trashed' ? '' : null;
  const op = query.sortAscending ? '>' : '<';
  const after = batch.last === null ? null : `(${p(batch.last.time)}, ${p(batch.last.id)})`;
  const to = query.toTime === null ? null : p(query.toTime);
  const from = query.fromTime === null ? null : p(query.fromTime);
  /** State, keyset and range conditions on a row whose columns are prefixed `t`, its time being `time`. */
  const bounds = (t: string, time: string, range: 'both' | 'toTime'): string[] => [
    ...(state === null ? [] : [`${state}${t}trashed`]),
    ...(after === null ? [] : [`(${time}, ${t}id) ${op} ${after}`]),
    ...(to === null ? [] : [`${time} <= ${to}`]),
    ...(from === null || range === 'toTime' ? [] : [`${time} >= ${from}`]),
  ];
  const order = (t: string): string => `${t}time ${dir}, ${t}id ${dir}`;
  const lateral =
    'SELECT l.time, l.id FROM unnest($2::text[]) AS s(stream_id) CROSS JOIN LATERAL (' +
    `  SELECT es.time, es.id FROM event_streams es WHERE ${['es.user_id = $1', 'es.stream_id = s.stream_id', ...bounds('es.', 'es.time', 'both')].join(' AND ')}` +
    ` ORDER BY ${order('es.')} LIMIT $3) l`;
  // With a time range, the periods begun before it and ending in or after it, found on
  // events_periods by their end (the scan whereClause's lower bound makes too; `time + 0`, as
  // without it the planner walked events_time back from toTime, filtering out every older event of
  // the user, in the test), and the running events begun before it (events_running).
  // The user and fromTime go in as `(SELECT $n)`, values the planner does not look at: a plan for
  // the given values estimated these two scans from the user's own row count (and `end_time > time`
  // at a third of it), a generic plan from the average user's, and when those differ by much (a
  // small user beside a big one) PostgreSQL keeps planning the named statement on every call (0.65
  // instead of 0.2 ms of backend CPU a read, measured). Blind to the values, both estimates agree
  // and the generic plan, the same plan, is kept. The latest-events step below likewise (its
  // LIMIT: 0.43 instead of 0.17 ms).
  const begunBefore = (from: string): string => {
    const inStreams = ['user_id = (SELECT $1::text)', 'stream_ids && $2::text[]'];
    const periods = [...inStreams, ...bounds('', 'time + 0', 'toTime'), `end_time > time AND end_time >= (SELECT ${from}::float8) AND time + 0 < ${from}`];
    const running = [...inStreams, ...bounds('', 'time', 'toTime'), `end_time IS NULL AND time < ${from}`];
    return `(SELECT time, id FROM events WHERE ${periods.join(' AND ')}) UNION ALL (SELECT time, id FROM events WHERE ${running.join(' AND ')} ORDER BY ${order('')} LIMIT $3)`;
  };
  const candidates = from === null ? lateral : `(${lateral}) UNION ALL ${begunBefore(from)}`;
  const recent = ['user_id = (SELECT $1::text)', ...bounds('', 'time', 'both')];
  const walked =
    'SELECT e.id, e.time, e.doc, e.attached_bytes IS NOT NULL AS has_attachments FROM (' +
    ` SELECT DISTINCT ON (x.time, x.id) x.time, x.id FROM (${candidates}) x ORDER BY ${order('x.')} LIMIT $3` +
    ') top JOIN events e ON e.user_id = $1 AND e.id = top.id';
  let text =
    recentRows === null
      ? walked
      : 'WITH recent AS MATERIALIZED (SELECT r.id, r.time, r.doc, r.has_attachments FROM (' +
        ` SELECT id, time, doc, attached_bytes IS NOT NULL AS has_attachments, stream_ids FROM events WHERE ${recent.join(' AND ')} ORDER BY ${order('')} LIMIT (SELECT ${p(recentRows)}::int)` +
        ` ) r WHERE r.stream_ids && $2::text[] ORDER BY ${order('r.')} LIMIT $3)` +
        ' SELECT id, time, doc, has_attachments FROM recent WHERE (SELECT count(*) FROM recent) = $3' +
        ` UNION ALL ${walked} WHERE (SELECT count(*) FROM recent) < $3`;
  text += ` ORDER BY ${order('')}`;
  if (batch.offset > 0) text += ` OFFSET ${p(batch.offset)}`;
  // Named, so each pooled connection plans it once: planned on every call (an unnamed statement)
  // the walk cost 0.73 ms, twice its execution on a small user. Its plan is the same whatever the
  // values (the LATERAL and the LIMITs fix it), so the generic plan loses nothing.
  const range = `${query.fromTime === null ? '' : '-from'}${query.toTime === null ? '' : '-to'}`;
  const name = `events-${recentRows === null ? 'walk' : 'recent-walk'}${range}-${query.state}-${dir}${batch.last === null ? '' : '-after'}${batch.offset > 0 ? '-offset' : ''}`;
  return { name, text, values };
}
