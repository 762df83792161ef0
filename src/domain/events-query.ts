import { type ApiError, errors } from '../errors/index.js';
import { isPlainObject } from '../util/objects.js';
import { parseContentQuery, type ContentCondition } from './content-query.js';
import type { AccessLogic } from './access-logic.js';
import type { StreamsTree } from './streams-tree.js';

/**
 * A resolved events query (buildEventsQuery below turns API params into this): stream ids are
 * already expanded to concrete ids and filtered by permissions.
 */
export interface EventsQuery {
  /** OR of clauses; an event matches a clause when it has a stream in `any`, one in each `all` set, none in `not`. */
  streams: { any: string[]; all: string[][]; not: string[] }[] | null;
  /**
   * How many streams the user has (a hint for the storage engine's choice of plan: a few streams
   * out of thousands are read by another way than a large share of them). Absent: unknown.
   */
  userStreamCount?: number;
  /** Exact types, or `class/` prefixes for `class/*`. */
  types: { exact: string[]; prefixes: string[] } | null;
  fromTime: number | null;
  toTime: number | null;
  running: boolean | null;
  state: 'default' | 'trashed' | 'all';
  modifiedSince: number | null;
  sortAscending: boolean;
  skip: number;
  limit: number | null;
  /** Content / clientData conditions, all AND-ed (domain/content-query.ts has the semantics). */
  content?: ContentCondition[];
}

/** events.get params as the method's schema lets them through (Pryv API §3.1). */
export interface EventsGetInput {
  /** Stream ids, one streams query or several; shape checked here (errors are `invalid-request-structure`). */
  streams?: unknown;
  types?: string[];
  fromTime?: number;
  toTime?: number;
  running?: boolean;
  sortAscending?: boolean;
  skip?: number;
  limit?: number;
  state?: 'default' | 'trashed' | 'all';
  modifiedSince?: number;
  /** Content queries (arrays of conditions; shape checked here, errors are `invalid-request-structure`). */
  content?: unknown;
  clientData?: unknown;
}

/** One streams query as sent: `any` required, `*` = every readable stream, `id!` = without descendants. */
export interface StreamsQueryInput {
  any: string[];
  all: string[];
  not: string[];
}

type StreamClause = NonNullable<EventsQuery['streams']>[number];

/** events.get's limit when it names neither a limit nor a time range (the latest 20). */
export const DEFAULT_EVENTS_LIMIT = 20;

const DAY = 24 * 3600;
const QUERY_KEYS = new Set(['any', 'all', 'not']);

function badQuery(message: string): ApiError {
  return errors.invalidRequestStructure(`Invalid streams query: ${message}`);
}

function idList(v: unknown, key: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string' && x.length > 0)) {
    throw badQuery(`"${key}" must be an array of stream ids.`);
  }
  return list;
}

function queryObject(o: Record<string, unknown>): StreamsQueryInput {
  for (const k of Object.keys(o)) if (!QUERY_KEYS.has(k)) throw badQuery(`unknown key "${k}".`);
  if (o['any'] === undefined) throw badQuery('"any" is required (use ["*"] for every stream).');
  const q = { any: idList(o['any'], 'any'), all: o['all'] === undefined ? [] : idList(o['all'], 'all'), not: o['not'] === undefined ? [] : idList(o['not'], 'not') };
  if (q.any.length === 0) throw badQuery('"any" must not be empty.');
  if ([...q.all, ...q.not].includes('*')) throw badQuery('"*" is only allowed in "any".');
  return q;
}

/**
 * The `streams` param as streams queries: plain ids become one `{any: ids}` query. Mixing ids and
 * query objects is refused (§3.1).
 */
export function parseStreamsParam(raw: unknown): StreamsQueryInput[] | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') return [{ any: [raw], all: [], not: [] }];
  if (isPlainObject(raw)) return [queryObject(raw)];
  if (!Array.isArray(raw)) throw badQuery('expected stream ids or streams queries.');
  if (raw.every((x): x is string => typeof x === 'string')) {
    if (raw.some((x) => x.length === 0)) throw badQuery('empty stream id.');
    return [{ any: raw, all: [], not: [] }];
  }
  if (raw.every(isPlainObject)) return raw.map(queryObject);
  throw badQuery('stream ids and streams queries cannot be mixed.');
}

/** What the caller may read, and of which streams: the input of every streams-query decision. */
export interface ReadScope {
  tree: StreamsTree;
  logic: AccessLogic;
}

function split(id: string): { id: string; exact: boolean } {
  return id.endsWith('!') ? { id: id.slice(0, -1), exact: true } : { id, exact: false };
}

/** `id` (with its descendants unless `id!`), keeping only readable streams (`none` masks drop out). */
function expand(scope: ReadScope, raw: string, readableOnly: boolean): string[] {
  const { id, exact } = split(raw);
  const ids = exact ? (scope.tree.has(id) ? [id] : []) : scope.tree.subtree(id);
  return readableOnly ? ids.filter((s) => scope.logic.canReadEvents(s)) : ids;
}

/** Unknown ids → 400 unknown-referenced-resource (data.streams); existing but unreadable → 403. */
function checkReferenced(scope: ReadScope, ids: string[]): void {
  const unknown: string[] = [];
  for (const raw of ids) {
    if (raw === '*') continue;
    const { id } = split(raw);
    if (!scope.tree.has(id)) unknown.push(id);
    else if (!scope.logic.canReadEvents(id)) throw errors.forbidden(`Access to stream "${id}" is forbidden.`, { data: { streamId: id } });
  }
  if (unknown.length > 0) {
    throw errors.unknownReferencedResource(`Unknown stream(s): ${unknown.join(', ')}`, { data: { streams: unknown } });
  }
}

export function resolveStreamsQueries(scope: ReadScope, queries: StreamsQueryInput[] | null): StreamClause[] | null {
  if (queries === null) {
    // Personal accesses read everything: no stream filter at all.
    return scope.logic.isPersonal ? null : [{ any: scope.logic.readableStreamIds(), all: [], not: [] }];
  }
  return queries.map((q) => {
    checkReferenced(scope, [...q.any, ...q.all]);
    const any = q.any.includes('*') ? scope.logic.readableStreamIds() : [...new Set(q.any.flatMap((id) => expand(scope, id, true)))];
    return {
      any,
      all: q.all.map((id) => expand(scope, id, true)),
      // Excluding a stream the caller cannot read changes nothing it could see: no permission filter.
      not: [...new Set(q.not.flatMap((id) => expand(scope, id, false)))],
    };
  });
}

export function resolveTypes(types: string[] | undefined): EventsQuery['types'] {
  if (types === undefined) return null;
  const exact: string[] = [];
  const prefixes: string[] = [];
  for (const t of types) {
    if (t.endsWith('/*')) prefixes.push(t.slice(0, -1));
    else exact.push(t);
  }
  return { exact, prefixes };
}

/** events.get params → the store query, with the §3.1 defaults applied. `now` in float seconds. */
export function buildEventsQuery(input: EventsGetInput, scope: ReadScope, now: number): EventsQuery {
  let fromTime = input.fromTime ?? null;
  let toTime = input.toTime ?? null;
  let limit = input.limit ?? null;
  if (fromTime === null && toTime !== null) fromTime = toTime - DAY;
  if (fromTime !== null && toTime === null) toTime = now;
  if (input.fromTime === undefined && input.toTime === undefined && limit === null) limit = DEFAULT_EVENTS_LIMIT;
  const content = [...parseContentQuery('content', input.content), ...parseContentQuery('clientData', input.clientData)];
  return {
    streams: resolveStreamsQueries(scope, parseStreamsParam(input.streams)),
    userStreamCount: scope.tree.size,
    types: resolveTypes(input.types),
    fromTime,
    toTime,
    running: input.running === true ? true : null,
    state: input.state ?? 'default',
    modifiedSince: input.modifiedSince ?? null,
    sortAscending: input.sortAscending ?? false,
    skip: input.skip ?? 0,
    limit,
    ...(content.length > 0 ? { content } : {}),
  };
}
