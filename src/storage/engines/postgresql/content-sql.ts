import type { ContentCondition, Scalar } from '../../../domain/content-query.js';

/**
 * Content queries as SQL (migration 10: `content` / `client_data` jsonb columns, generated from
 * `doc`, each with a GIN `jsonb_path_ops` index). Each condition becomes a `@?` test of an SQL/JSON
 * path in **strict** mode: a step through anything but an object, a missing key and a comparison of
 * two different JSON types all fail instead of being unwrapped or coerced, which is the reference's
 * "strict JSON types, no array indices" rule. Equality filters (`eq`, `in`) are what a GIN
 * `jsonb_path_ops` index can answer, so those conditions are found through it; the other operators
 * filter the rows the rest of the query selects.
 *
 * The path text goes to PostgreSQL as a bound parameter (`$n::jsonpath`), never into the SQL. Keys
 * are quoted and limited to [a-zA-Z0-9_:-] by the domain parser; values are written as JSON
 * literals (JSON.stringify), which the jsonpath grammar reads the same way.
 */

const COLUMN = { content: 'content', clientData: 'client_data' } as const;

/** A finite number, string or boolean as a jsonpath literal. */
function literal(v: Scalar): string {
  return JSON.stringify(v);
}

function accessor(path: string[]): string {
  return `strict $${path.map((s) => `."${s}"`).join('')}`;
}

function filter(path: string[], predicate: string): string {
  return `${accessor(path)} ? (${predicate})`;
}

const CMP = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** SQL for one condition; `p` binds a parameter and returns its placeholder. */
export function conditionSql(c: ContentCondition, p: (v: unknown) => string): string {
  const col = COLUMN[c.field];
  // A path below the root needs an object there; saying so lets the planner use the partial GIN
  // indexes (built over objects only).
  const objectOnly = c.path.length > 0 ? `jsonb_typeof(${col}) = 'object' AND ` : '';
  const test = (jsonpath: string): string => `${col} @? ${p(jsonpath)}::jsonpath`;
  switch (c.op) {
    case 'exists':
      // A missing column (no content at all) is NULL: "no value at the path".
      return c.value ? `(${objectOnly}${test(accessor(c.path))})` : `NOT coalesce(${test(accessor(c.path))}, false)`;
    case 'eq':
      return `(${objectOnly}${test(filter(c.path, `@ == ${literal(c.value)}`))})`;
    case 'neq':
      return `(${objectOnly}${test(accessor(c.path))} AND NOT ${test(filter(c.path, `@ == ${literal(c.value)}`))})`;
    case 'in':
      return `(${objectOnly}${test(filter(c.path, c.value.map((v) => `@ == ${literal(v)}`).join(' || ')))})`;
    case 'prefix':
      return `(${objectOnly}${test(filter(c.path, `@ starts with ${literal(c.value)}`))})`;
    default:
      // Comparing a number with a string is "unknown" in strict SQL/JSON paths: non-numbers never match.
      return `(${objectOnly}${test(filter(c.path, `@ ${CMP[c.op]} ${literal(c.value)}`))})`;
  }
}
