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
 * Indexes (migration 10, docs/benchmarks.md). Every test below the root says
 * `jsonb_typeof(content) = 'object'`, which lets the planner walk `events_object_content (user_id,
 * time, id)`: the user's events with object content, newest first, until the page is full. `eq` on
 * a string also adds a containment test (`col @> {"k1": {"k2": v}}`) that the GIN jsonb_path_ops
 * index answers, for the needle-in-a-haystack case (ids, codes); the exact test filters what
 * containment lets through (a value inside an array). Only there: PostgreSQL has no statistics to
 * tell a selective containment from a common one and picks the GIN whenever it can, which for a
 * common value (`taken: true`) means fetching and sorting every match instead of reading 20 in order
 * (20 ms instead of 0.2 ms for 1,000 matches on the bench data), so booleans, numbers and `in` lists
 * go through the ordered walk.
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

/** SQL for one condition; `p` binds a parameter and returns its placeholder. */
export function conditionSql(c: ContentCondition, p: (v: unknown) => string): string {
  const col = COLUMN[c.field];
  const value = c.path.length === 0 ? col : `(${col}${c.path.map((k) => ` -> ${p(k)}::text`).join('')})`;
  // Below the root the field must be an object (said so for the partial indexes).
  const object = c.path.length > 0 ? `jsonb_typeof(${col}) = 'object'` : null;
  const all = (...parts: (string | null)[]): string => `(${parts.filter((x): x is string => x !== null).join(' AND ')})`;
  const indexed = (v: Scalar): string | null => (c.path.length === 0 || typeof v !== 'string' ? null : `${col} @> ${p(containment(c.path, v))}::jsonb`);
  switch (c.op) {
    case 'exists':
      return c.value ? all(object, `${value} IS NOT NULL`) : `${value} IS NULL`;
    case 'eq':
      return all(object, indexed(c.value), `${value} = ${p(JSON.stringify(c.value))}::jsonb`);
    case 'neq':
      return all(object, `${value} <> ${p(JSON.stringify(c.value))}::jsonb`);
    case 'in':
      return all(object, `${value} = ANY(${p(c.value.map((v) => JSON.stringify(v)))}::jsonb[])`);
    case 'prefix':
      return all(object, `CASE WHEN jsonb_typeof(${value}) = 'string' THEN starts_with(${value} #>> '{}', ${p(c.value)}) END`);
    default:
      return all(object, `CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value})::numeric ${CMP[c.op]} ${p(String(c.value))}::numeric END`);
  }
}
