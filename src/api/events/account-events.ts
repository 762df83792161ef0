import { type ApiError, errors } from '../../errors/index.js';
import { parseContentQuery, matchesContentQuery } from '../../domain/content-query.js';
import { parseStreamsParam, resolveTypes, type EventsGetInput, type StreamsQueryInput } from '../../domain/events-query.js';
import { isSystemStreamId, systemStreamsOf, type AccountField, type SystemStreams } from '../../domain/system-streams.js';
import type { Access, Event, User } from '../../domain/types.js';
import { readAccountEvents } from '../account/account-fields.js';
import type { RequestContext } from '../context.js';
import type { StreamedResult } from '../method.js';
import { forbidden } from '../stream-scope.js';

/**
 * Reads of account events (docs/api.md#system-streams): `events.get` naming account streams and
 * `events.getOne` of an account event. Account streams are never reached through `*` nor through a
 * query without `streams`: they must be named.
 */

export function caller(ctx: RequestContext): { user: User; access: Access } {
  if (ctx.user === null) throw errors.unknownResource('user');
  if (ctx.access === null) throw errors.missingToken();
  return { user: ctx.user, access: ctx.access };
}

/** A shown account field by stream id: unknown → 400, hidden → 403 (as the reference). */
export function shownField(sys: SystemStreams, id: string, notFound: () => ApiError): AccountField {
  const f = sys.field(id);
  if (f === undefined) throw notFound();
  if (!f.isShown) throw forbidden(`The account stream "${id}" is not accessible through the API.`, { streamId: id });
  return f;
}

function unknownStreams(ids: string[]): ApiError {
  return errors.unknownReferencedResource(`Unknown stream(s): ${ids.join(', ')}`, { data: { streams: ids } });
}

const bare = (id: string): { id: string; exact: boolean } => (id.endsWith('!') ? { id: id.slice(0, -1), exact: true } : { id, exact: false });

/** Fields named by one streams query (account ids only), checked against the caller's rights. */
function fieldsOfQuery(sys: SystemStreams, access: Access, q: StreamsQueryInput): AccountField[] {
  if (q.all.length > 0) throw errors.invalidRequestStructure('Invalid streams query: account streams cannot be combined with "all".');
  const unknown = q.any.map(bare).filter(({ id }) => !sys.isAccountStream(id)).map(({ id }) => id);
  if (unknown.length > 0) throw unknownStreams(unknown);
  const picked = new Map<string, AccountField>();
  for (const { id, exact } of q.any.map(bare)) {
    if (!sys.isContainer(id)) shownField(sys, id, () => unknownStreams([id]));
    if (!sys.canRead(access, id)) throw errors.forbidden(`Access to stream "${id}" is forbidden.`, { data: { streamId: id } });
    const under = exact ? sys.shown().filter((f) => f.id === id) : sys.fieldsUnder(id);
    for (const f of under) if (sys.canRead(access, f.id)) picked.set(f.id, f);
  }
  const excluded = new Set(q.not.flatMap((raw) => {
    const { id, exact } = bare(raw);
    return exact ? [id] : sys.fieldsUnder(id).map((f) => f.id);
  }));
  return [...picked.values()].filter((f) => !excluded.has(f.id));
}

/** events.get's params as the account-events path reads them. */
export type AccountEventsParams = EventsGetInput & { includeDeletions?: boolean };

function matchesType(e: Event, types: string[] | undefined): boolean {
  const t = resolveTypes(types);
  return t === null || t.exact.includes(e.type) || t.prefixes.some((p) => e.type.startsWith(p));
}

async function* each<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) yield i;
}

/**
 * `events.get` when its `streams` names account streams; null when it names none (the regular query
 * runs). Account and regular streams cannot be mixed in one call (400): read them in two calls.
 */
export async function accountEventsQuery(ctx: RequestContext, p: AccountEventsParams): Promise<StreamedResult | null> {
  const queries = parseStreamsParam(p.streams);
  if (queries === null) return null;
  // `not` alone never makes a query an account one: excluding account streams from a regular query
  // changes nothing (they are never in it).
  const ids = queries.flatMap((q) => [...q.any, ...q.all]).map((id) => bare(id).id);
  if (!ids.some(isSystemStreamId)) return null;
  if (!ids.every(isSystemStreamId)) {
    throw errors.invalidRequestStructure('Invalid streams query: account streams (":_system:…", ":system:…") cannot be mixed with other streams in one call.');
  }
  const { user, access } = caller(ctx);
  const sys = systemStreamsOf(ctx.services.config);
  const fields = new Map<string, AccountField>();
  for (const q of queries) for (const f of fieldsOfQuery(sys, access, q)) fields.set(f.id, f);
  const conditions = [...parseContentQuery('content', p.content), ...parseContentQuery('clientData', p.clientData)];
  let events = (await readAccountEvents(ctx.services, user, [...fields.values()])).filter(
    (e) =>
      p.state !== 'trashed' &&
      p.running !== true &&
      matchesType(e, p.types) &&
      (p.fromTime === undefined || e.time >= p.fromTime) &&
      (p.toTime === undefined || e.time <= p.toTime) &&
      (p.modifiedSince === undefined || e.modified > p.modifiedSince) &&
      matchesContentQuery(e, conditions),
  );
  events.sort((a, b) => (p.sortAscending === true ? a.time - b.time : b.time - a.time));
  events = events.slice(p.skip ?? 0, p.limit === undefined ? undefined : (p.skip ?? 0) + p.limit);
  const arrays: StreamedResult['arrays'] = [{ key: 'events', items: each(events) }];
  if (p.includeDeletions === true && p.modifiedSince !== undefined) arrays.push({ key: 'eventDeletions', items: each([]) });
  return { kind: 'streamed', arrays };
}

/** `events.getOne` of an account event (its id is its field's stream id). */
export async function getOneAccountEvent(ctx: RequestContext, id: string, includeHistory: boolean): Promise<{ event: Event; history?: Event[] }> {
  const { user, access } = caller(ctx);
  const sys = systemStreamsOf(ctx.services.config);
  const f = shownField(sys, id, () => errors.unknownResource('event', id));
  if (!sys.canRead(access, f.id)) throw forbidden(`Reading event "${id}" is forbidden.`);
  const [event] = await readAccountEvents(ctx.services, user, [f]);
  if (event === undefined) throw errors.unknownResource('event', id);
  // Past values of account fields are not kept: an empty history is the truthful answer.
  return includeHistory ? { event, history: [] } : { event };
}
