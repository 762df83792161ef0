import type { ContentCondition, Scalar } from '../../../domain/content-query.js';

/**
 * Content queries as SQL (migration 10: `content` / `client_data` jsonb columns generated from
 * `doc`). The value at a path is `col -> 'k1' -> 'k2'`: `->` with a text key steps into objects only
 * (on an array or a scalar it gives NULL), which is the reference's "no array indices" rule, and a
 * missing key gives NULL too. Comparisons are on jsonb values, so types are strict (`true` ≠ `1` ≠
 * `"1"`, `12` = `12.0`); range and prefix tests run only on numbers and strings (CASE keeps the cast
 * from ever seeing another type).
 *
 * Plain jsonb operators, not SQL/JSON path predicates: EXPLAIN ANALYZE on the bench data showed a
 * jsonpath `@?` test costing 10–40 µs per row checked, these well under 1 µs.
 *
 * Indexes and plans (migrations 10 and 18, docs/benchmarks.md#content-queries). A query with a path
 * below the root says `jsonb_typeof(content) = 'object'` once, which lets the planner walk
 * `events_object_content (user_id, time, id)`: the user's events with object content, newest first,
 * until the page is full. That walk never reads more rows than the alternative (a bitmap of all of
 * the user's object-content events, then a sort), and usually far fewer, so the SQL is shaped for
 * the planner to pick it:
 * - it must know how many rows the partial index holds per user: expression statistics on
 *   `jsonb_typeof(content)` (migration 18). Without them it guessed 0.5 % (35 of 2,000 on the bench
 *   data) and chose the bitmap.
 * - the exact tests are one opaque `COALESCE(t1 AND t2 …, false)`. PostgreSQL has no statistics on
 *   arbitrary paths, so it multiplied guesses per test (0.5 % per `=`, 8 % for an `in` of 16) into
 *   "about one match", and for one match the walk is costed as reading everything. One opaque
 *   boolean is costed at 50 % however many tests it holds. COALESCE keeps the SQL semantics: NULL
 *   (a CASE that met another type) does not match.
 * `eq` on a string also adds a top-level containment test (`col @> {"k1": {"k2": v}}`) that the GIN
 * jsonb_path_ops index answers, for the needle-in-a-haystack case (ids, codes); the exact test
 * filters what containment lets through (a value inside an array). Only there: PostgreSQL cannot tell
 * a selective containment from a common one and takes the GIN whenever it can, which for a common
 * value (`taken: true`) means fetching and sorting every match (20 ms instead of 0.2 ms for 1,000
 * matches on the bench data), so booleans, numbers and `in` lists go through the ordered walk.
 *
 * Keys and values are bound parameters; nothing from the query is written into the SQL text.
 */

const COLUMN = { content: 'content', clientData: 'client_data' } as const;
const CMP = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** `{"k1": {"k2": v}}`: what `col @> …` looks for. */
function containment(path: string[], v: Scalar): string {
  let doc: unknown = v;
  for (let i = path.length - 1; i >= 0; i -= 1) doc = { [path[i] ?? '']: doc };
  return JSON.stringify(doc);
}

/** Whether the condition can only hold on an object (a path below the root must exist). */
function needsObject(c: ContentCondition): boolean {
  return c.path.length > 0 && !(c.op === 'exists' && !c.value);
}

/** The exact test of one condition; `p` binds a parameter and returns its placeholder. */
function exactSql(c: ContentCondition, p: (v: unknown) => string): string {
  const col = COLUMN[c.field];
  const value = c.path.length === 0 ? col : `(${col}${c.path.map((k) => ` -> ${p(k)}::text`).join('')})`;
  switch (c.op) {
    case 'exists':
      return c.value ? `${value} IS NOT NULL` : `${value} IS NULL`;
    case 'eq':
      return `${value} = ${p(JSON.stringify(c.value))}::jsonb`;
    case 'neq':
      return `${value} <> ${p(JSON.stringify(c.value))}::jsonb`;
    case 'in':
      return `${value} = ANY(${p(c.value.map((v) => JSON.stringify(v)))}::jsonb[])`;
    case 'prefix':
      return `CASE WHEN jsonb_typeof(${value}) = 'string' THEN starts_with(${value} #>> '{}', ${p(c.value)}) END`;
    default:
      return `CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value})::numeric ${CMP[c.op]} ${p(String(c.value))}::numeric END`;
  }
}

/**
 * The content conditions of one query as SQL conditions to AND with the rest: the object tests and
 * containment tests the indexes match, then every exact test in one COALESCE (see above).
 */
export function contentSql(conditions: readonly ContentCondition[], p: (v: unknown) => string): string[] {
  if (conditions.length === 0) return [];
  const out: string[] = [];
  for (const field of ['content', 'clientData'] as const) {
    if (conditions.some((c) => c.field === field && needsObject(c))) out.push(`jsonb_typeof(${COLUMN[field]}) = 'object'`);
  }
  for (const c of conditions) {
    if (c.op === 'eq' && c.path.length > 0 && typeof c.value === 'string') out.push(`${COLUMN[c.field]} @> ${p(containment(c.path, c.value))}::jsonb`);
  }
  out.push(`COALESCE(${conditions.map((c) => `(${exactSql(c, p)})`).join(' AND ')}, false)`);
  return out;
}
