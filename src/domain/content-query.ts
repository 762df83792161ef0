import { errors, type ApiError } from '../errors/index.js';
import { isPlainObject } from '../util/objects.js';

/**
 * Content queries of events.get (Pryv API reference, "Content query"): the `content` and
 * `clientData` params are each an array of conditions `{path, <one operator>: value}`, AND-ed with
 * each other and with the rest of the query. Matching is strict on JSON types.
 */
export const CONTENT_OPERATORS = ['eq', 'neq', 'in', 'exists', 'gt', 'gte', 'lt', 'lte', 'prefix'] as const;
export type ContentOperator = (typeof CONTENT_OPERATORS)[number];
export type Scalar = string | number | boolean;

export type ContentCondition =
  | { field: ContentField; path: string[]; op: 'eq' | 'neq'; value: Scalar }
  | { field: ContentField; path: string[]; op: 'in'; value: Scalar[] }
  | { field: ContentField; path: string[]; op: 'exists'; value: boolean }
  | { field: ContentField; path: string[]; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { field: ContentField; path: string[]; op: 'prefix'; value: string };

export type ContentField = 'content' | 'clientData';

/** Bounds that keep one query's SQL small (they are far above any real use). */
export const CONTENT_QUERY_LIMITS = { conditions: 50, pathSegments: 32, inValues: 1000, stringLength: 4096 } as const;

const SEGMENT = /^[a-zA-Z0-9_:-]+$/;
const OPS = new Set<string>(CONTENT_OPERATORS);

function bad(field: ContentField, message: string): ApiError {
  return errors.invalidRequestStructure(`Invalid ${field} query: ${message}`);
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Lone surrogates and NUL cannot be stored in a JSON document here, so no stored value has them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what this finds.
const UNSTORABLE = /[\uD800-\uDFFF\u0000]/u;

function checkString(field: ContentField, s: string): void {
  if (s.length > CONTENT_QUERY_LIMITS.stringLength) throw bad(field, `strings are limited to ${CONTENT_QUERY_LIMITS.stringLength} characters.`);
  if (UNSTORABLE.test(s)) throw bad(field, 'strings must not contain NUL or unpaired surrogates.');
}

/** `$` = the field's root value; otherwise dot-separated segments (no array indices or wildcards). */
function parsePath(field: ContentField, raw: unknown): string[] {
  if (typeof raw !== 'string') throw bad(field, '"path" must be a string.');
  if (raw === '$') return [];
  const segments = raw.split('.');
  if (!segments.every((s) => SEGMENT.test(s))) throw bad(field, `path "${raw}": segments are [a-zA-Z0-9_:-]+, separated by dots, or "$" for the root.`);
  if (segments.length > CONTENT_QUERY_LIMITS.pathSegments) throw bad(field, `path "${raw}" is deeper than ${CONTENT_QUERY_LIMITS.pathSegments}.`);
  return segments;
}

function parseCondition(field: ContentField, raw: unknown): ContentCondition {
  if (!isPlainObject(raw)) throw bad(field, 'each condition must be an object {path, <operator>: value}.');
  const keys = Object.keys(raw);
  const unknown = keys.filter((k) => k !== 'path' && !OPS.has(k));
  if (unknown.length > 0) throw bad(field, `unknown key "${unknown[0]}" (operators: ${CONTENT_OPERATORS.join(', ')}).`);
  const ops = keys.filter((k): k is ContentOperator => OPS.has(k));
  if (ops.length !== 1 || ops[0] === undefined) throw bad(field, 'each condition needs exactly one operator.');
  const path = parsePath(field, raw['path']);
  const op = ops[0];
  const v = raw[op];
  switch (op) {
    case 'eq':
    case 'neq':
      if (!isScalar(v)) throw bad(field, `"${op}" takes a string, number or boolean (use "exists" for absence).`);
      if (typeof v === 'string') checkString(field, v);
      return { field, path, op, value: v };
    case 'in':
      if (!Array.isArray(v) || v.length === 0 || !v.every(isScalar)) throw bad(field, '"in" takes a non-empty array of strings, numbers or booleans.');
      if (v.length > CONTENT_QUERY_LIMITS.inValues) throw bad(field, `"in" takes at most ${CONTENT_QUERY_LIMITS.inValues} values.`);
      for (const x of v) if (typeof x === 'string') checkString(field, x);
      return { field, path, op, value: v };
    case 'exists':
      if (typeof v !== 'boolean') throw bad(field, '"exists" takes true or false.');
      return { field, path, op, value: v };
    case 'prefix':
      if (typeof v !== 'string') throw bad(field, '"prefix" takes a string.');
      checkString(field, v);
      return { field, path, op, value: v };
    default:
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, `"${op}" takes a number.`);
      return { field, path, op, value: v };
  }
}

/** One param (`content` or `clientData`) as sent: an array of conditions, or a single condition. */
export function parseContentQuery(field: ContentField, raw: unknown): ContentCondition[] {
  if (raw === undefined || raw === null) return [];
  const list = isPlainObject(raw) ? [raw] : raw;
  if (!Array.isArray(list)) throw bad(field, 'expected an array of conditions.');
  if (list.length > CONTENT_QUERY_LIMITS.conditions) throw bad(field, `at most ${CONTENT_QUERY_LIMITS.conditions} conditions.`);
  return list.map((c) => parseCondition(field, c));
}

/** The value at `path` under strict rules: every step must be an object key (no array indexing). */
function valueAt(root: unknown, path: string[]): { found: boolean; value: unknown } {
  let cur = root;
  for (const seg of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, seg)) return { found: false, value: undefined };
    cur = cur[seg];
  }
  return { found: cur !== undefined, value: cur };
}

/** Same type and value: `true` never equals `1` nor `"true"`. */
const same = (a: unknown, b: Scalar): boolean => typeof a === typeof b && a === b;

/**
 * The reference semantics, in memory: what the storage engines must return (the conformance tests
 * compare both). `doc` is the event's `content` or `clientData` (undefined when absent).
 */
export function matchesCondition(doc: unknown, c: ContentCondition): boolean {
  const { found, value } = valueAt(doc, c.path);
  switch (c.op) {
    case 'exists':
      return found === c.value;
    case 'eq':
      return found && same(value, c.value);
    case 'neq':
      return found && !same(value, c.value);
    case 'in':
      return found && c.value.some((v) => same(value, v));
    case 'prefix':
      return found && typeof value === 'string' && value.startsWith(c.value);
    default: {
      if (!found || typeof value !== 'number') return false;
      if (c.op === 'gt') return value > c.value;
      if (c.op === 'gte') return value >= c.value;
      if (c.op === 'lt') return value < c.value;
      return value <= c.value;
    }
  }
}

export function matchesContentQuery(event: { content?: unknown; clientData?: unknown }, conditions: ContentCondition[]): boolean {
  return conditions.every((c) => matchesCondition(c.field === 'content' ? event.content : event.clientData, c));
}
