import type { EventJson, EventsQuery } from '../../interfaces/events-store.js';
import { DEFAULT_EVENTS_LIMIT } from '../../../domain/events-query.js';
import { contentSql } from './content-sql.js';
import { recentRowsFirst, streamIndexedStatement, walkableStreams, type BatchWindow } from './stream-indexed-read.js';

// The SQL of events.get on the events table; the store runs it in keyset batches (events-store.ts).

/** Rows fetched per round trip while streaming a read: bounded memory, few round trips. */
export const READ_BATCH = 1000;

/** Escapes LIKE wildcards so a `class/` prefix is matched literally. */
const likePrefix = (p: string): string => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** SQL condition (on alias-less `events`) + its params for everything but sort and paging. */
export function whereClause(userId: string, q: EventsQuery, now: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [userId];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const conds = ['user_id = $1'];
  if (q.state === 'default') conds.push('NOT trashed');
  else if (q.state === 'trashed') conds.push('trashed');
  if (q.streams !== null) {
    // `any` goes through the per-user GIN index on stream_keys (migrations 4, 9); the rest filters
    // the rows it finds.
    const keys = (ids: string[]): string[] => ids.map((id) => `${userId} ${id}`);
    const clauses = q.streams.map((c) => {
      const parts = [`stream_keys && ${p(keys(c.any))}::text[]`];
      for (const set of c.all) parts.push(`stream_ids && ${p(set)}::text[]`);
      if (c.not.length > 0) parts.push(`NOT (stream_ids && ${p(c.not)}::text[])`);
      return `(${parts.join(' AND ')})`;
    });
    conds.push(clauses.length === 0 ? 'false' : `(${clauses.join(' OR ')})`);
  }
  if (q.types !== null) {
    const ors: string[] = [];
    if (q.types.exact.length > 0) ors.push(`type = ANY(${p(q.types.exact)}::text[])`);
    if (q.types.prefixes.length > 0) ors.push(`type LIKE ANY(${p(q.types.prefixes.map(likePrefix))}::text[])`);
    conds.push(ors.length === 0 ? 'false' : `(${ors.join(' OR ')})`);
  }
  if (q.toTime !== null) conds.push(`time <= ${p(q.toTime)}`);
  if (q.fromTime !== null) {
    // In range when it ends at or after fromTime; a running event ends "now" (§2.1). `end_time >=
    // from` alone bounds no index (any older event may be a long period), so every row of the user
    // before toTime was read. Split into three index-bounded cases (migration 9): events starting at
    // or after fromTime (events_time), periods ending at or after it (events_periods, a partial
    // index: periods are few), running events (events_running). Same rows as `end_time >= from`.
    const from = p(q.fromTime);
    conds.push(
      `((time >= ${from} AND end_time IS NOT NULL) OR (end_time > time AND end_time >= ${from})` +
        ` OR (end_time IS NULL AND ${p(now)}::double precision >= ${from}))`,
    );
    // The OR above gives the index no lower bound on `time`, and with a limit the planner walks
    // events_time back from toTime through every older event of the user (a million-event user:
    // 462 ms for 100 rows, docs/benchmarks.md#full-size-run-2026-12-03). This bound holds for every
    // row the OR accepts: the earliest start among the periods ending at or after fromTime (found
    // on events_periods; `+ 0` keeps min() from walking events_time instead) and among running
    // events (events_running), or fromTime itself. Evaluated once per statement, it bounds the scan.
    conds.push(
      `time >= LEAST(${from}::double precision,` +
        ` (SELECT min(pe.time + 0) FROM events pe WHERE pe.user_id = $1 AND pe.end_time > pe.time AND pe.end_time >= ${from}),` +
        ` (SELECT min(re.time) FROM events re WHERE re.user_id = $1 AND re.end_time IS NULL))`,
    );
  }
  if (q.running === true) conds.push('end_time IS NULL');
  else if (q.running === false) conds.push('end_time IS NOT NULL');
  if (q.modifiedSince !== null) conds.push(`modified > ${p(q.modifiedSince)}`);
  conds.push(...contentSql(q.content ?? [], p));
  return { sql: conds.join(' AND '), params };
}

/**
 * One keyset batch of events.get: the rows after `last` in the query's order (exported for the
 * plan tests in test/engines/postgresql).
 */
export function batchStatement(
  where: { sql: string; params: unknown[] },
  query: Pick<EventsQuery, 'sortAscending'>,
  batch: BatchWindow,
  /** LIMIT written as its number (one of PLAIN_PAGE_SIZES, see readStatement), not a parameter. */
  fixedLimit = false,
): { text: string; values: unknown[] } {
  const dir = query.sortAscending ? 'ASC' : 'DESC';
  const values = [...where.params];
  let text = `SELECT id, time, doc, attached_bytes IS NOT NULL AS has_attachments FROM events WHERE ${where.sql}`;
  if (batch.last !== null) {
    values.push(batch.last.time, batch.last.id);
    text += ` AND (time, id) ${query.sortAscending ? '>' : '<'} ($${values.length - 1}, $${values.length})`;
  }
  // Values are parameters, never SQL text (#16: `skip=1e999` used to reach the statement); a fixed
  // LIMIT is one of our own constants.
  if (fixedLimit && PLAIN_PAGE_SIZES.has(batch.size)) text += ` ORDER BY time ${dir}, id ${dir} LIMIT ${batch.size}`;
  else {
    values.push(batch.size);
    text += ` ORDER BY time ${dir}, id ${dir} LIMIT $${values.length}`;
  }
  if (batch.offset > 0) {
    values.push(batch.offset);
    text += ` OFFSET $${values.length}`;
  }
  return { text, values };
}

/**
 * The statement of one batch of events.get: each stream's own time order when the query is only
 * streams, state and a time range (stream-indexed-read.ts), else the general one (named when it
 * has no filter but the state).
 */
export function readStatement(userId: string, query: EventsQuery, where: { sql: string; params: unknown[] }, b: BatchWindow, now: number): { name?: string; text: string; values: unknown[] } {
  const walked = walkableStreams(query, now);
  if (walked !== null) return streamIndexedStatement(userId, walked, query, b, recentRowsFirst(query, walked.length, b.size + b.offset));
  const range = timeRangeStatement(userId, query, where, b);
  if (range !== null) return range;
  // A read with no filter but the state (a personal token's latest events: the commonest read) has
  // one good plan whatever the values, the user's time order. Unnamed, it was planned on every call
  // (0.105 ms of planning for 0.039 of execution, pg_stat_statements). Named, it is planned once per
  // connection if PostgreSQL finds its generic plan no dearer than the plans for the values: so its
  // LIMIT is written as the number, for the default page and the store's batch only (a LIMIT
  // parameter is estimated at a tenth of the user's rows in a generic plan, and PostgreSQL kept
  // planning every call). Any other filter or page stays unnamed: its plan hangs on the values.
  if (!PLAIN_WHERE.has(where.sql) || b.offset > 0 || !PLAIN_PAGE_SIZES.has(b.size)) return batchStatement(where, query, b);
  const key = `${query.state}-${query.sortAscending ? 'ASC' : 'DESC'}-${b.size}${b.last === null ? '' : '-after'}`;
  return { name: `events-plain-${key}`, ...batchStatement(where, query, b, true) };
}

/**
 * The where clauses of a time range with no other filter (fromTime, with or without toTime; the
 * state's default), as whereClause writes them: the only reads homecore_events_time_range answers.
 */
const TIME_RANGE_WHERE = new Map(
  [1, null].map((to) => {
    const q: EventsQuery = { streams: null, types: null, fromTime: 0, toTime: to, running: null, state: 'default', modifiedSince: null, sortAscending: false, skip: 0, limit: null };
    return [whereClause('u', q, 0).sql, to === null ? ('from' as const) : ('to-from' as const)];
  }),
);

/**
 * A personal time range, newest first, first batch: through homecore_events_time_range (migration
 * 24), whose plan PostgreSQL makes once per connection, instead of planning the statement on every
 * call. Null for any other read.
 */
function timeRangeStatement(userId: string, query: EventsQuery, where: { sql: string; params: unknown[] }, b: BatchWindow): { name: string; text: string; values: unknown[] } | null {
  const shape = TIME_RANGE_WHERE.get(where.sql);
  if (shape === undefined || query.sortAscending || b.last !== null || b.offset > 0) return null;
  // whereClause's parameters: user, [toTime,] fromTime, now.
  const [to, from, now] = shape === 'to-from' ? where.params.slice(1) : [Number.POSITIVE_INFINITY, ...where.params.slice(1)];
  return {
    name: 'events-time-range',
    text: 'SELECT id, time, doc, has_attachments FROM homecore_events_time_range($1, $2, $3, $4, $5)',
    values: [userId, from, to, now, b.size],
  };
}

/** Pages a read with no filter is named for: events.get's default limit and the store's batch. */
const PLAIN_PAGE_SIZES = new Set([DEFAULT_EVENTS_LIMIT, READ_BATCH]);

/** The where clauses of a read with no filter but the state (whereClause). */
const PLAIN_WHERE = new Set(['user_id = $1', 'user_id = $1 AND NOT trashed', 'user_id = $1 AND trashed']);

/** What joinedStatement answers: one row per batch. */
export interface JoinedBatch {
  /** The batch's docs in order, comma-joined; each event with attachments stands as U+0001. Null when empty. */
  joined: string | null;
  /** The docs of the events with attachments, in order; null when there are none. */
  attached: string[] | null;
  n: number;
  /**
   * The keyset position of the batch's last row, asked for only when another batch may follow.
   * NULL only for an empty batch, which ends the read before they are looked at (findJson).
   */
  last_time?: number | null;
  last_id?: string | null;
}

/** Stands for an event with attachments in `joined`: JSON text never holds a raw control character. */
export const ATTACHED_MARK = '\u0001';

/**
 * One batch as one row: its docs already comma-joined by PostgreSQL (issue #10). A batch of 100
 * rows cost the API worker a DataRow parse, a row object and an iterator step per event, about
 * twice the client CPU of the same docs in one string (bench: 190–290 µs against 100–120 µs per
 * 100-event batch). Events with attachments need the caller's read tokens added (events.get), so
 * they come apart in `attached` and leave a mark in the joined text. The aggregates are ordered
 * as the batch is, so PostgreSQL 16+ sorts nothing more when the batch is an ordered scan.
 */
export function joinedStatement(
  st: { name?: string; text: string; values: unknown[] },
  sortAscending: boolean,
  /** Another batch may follow: answer the last row's keys (two more aggregates, ~10 µs for 20 rows). */
  withKeys: boolean,
): { name?: string; text: string; values: unknown[] } {
  const dir = sortAscending ? 'ASC' : 'DESC';
  const order = `ORDER BY time ${dir}, id ${dir}`;
  const keys = withKeys ? `, (array_agg(time ${order}))[count(*)] AS last_time, (array_agg(id ${order}))[count(*)] AS last_id` : '';
  const text =
    `SELECT string_agg(CASE WHEN has_attachments THEN chr(1) ELSE doc END, ',' ${order}) AS joined,` +
    ` json_agg(doc ${order}) FILTER (WHERE has_attachments) AS attached, count(*)::int AS n${keys} FROM (${st.text}) batch`;
  return st.name === undefined ? { text, values: st.values } : { name: `${st.name}-joined${withKeys ? '-keyed' : ''}`, text, values: st.values };
}

/**
 * A joined batch as findJson yields it: runs of events without attachments as one piece each, and
 * every event with attachments alone, in the batch's order.
 */
export function batchPieces(b: JoinedBatch): EventJson[] {
  if (b.joined === null || b.n === 0) return [];
  if (b.attached === null) return [{ doc: b.joined, hasAttachments: false }];
  const pieces: EventJson[] = [];
  const runs = b.joined.split(ATTACHED_MARK);
  runs.forEach((run, i) => {
    // Commas that joined a run to a mark: a doc starts with `{` and ends with `}`.
    const docs = run.slice(run.startsWith(',') ? 1 : 0, run.endsWith(',') ? -1 : undefined);
    if (docs !== '') pieces.push({ doc: docs, hasAttachments: false });
    const attached = b.attached?.[i];
    if (i < runs.length - 1 && attached !== undefined) pieces.push({ doc: attached, hasAttachments: true });
  });
  return pieces;
}
