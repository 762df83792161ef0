import type { EventsQuery } from './events-query.js';
import { matchesContentQuery } from './content-query.js';

/** What scope matching needs of a changed item; never sent to clients (notifications/messages.ts carries it). */
export type ChangeItem =
  | { kind: 'events'; event: { streamIds: string[]; type: string; content?: unknown; clientData?: unknown } }
  | { kind: 'streams'; stream: { id: string; parentId: string | null } };

/**
 * Scoped notifications (the reference's NotificationEngine; docs/api.md#scoped-subscriptions): a
 * scope is a standing events.get query, resolved once against the subscriber's access (stream ids
 * expanded, unreadable ones refused); a change matches when one of its items passes the query.
 * Pure: no I/O.
 */

export type ScopeKind = 'events' | 'streams' | 'accesses';

export interface PreparedScope {
  kind: ScopeKind;
  /** As the client sent it (getSubscriptions shows it back). */
  query: Record<string, unknown>;
  /** Its resolved form (events, streams); null = every change of the kind. */
  resolved: Pick<EventsQuery, 'streams' | 'types' | 'content'> | null;
}

/** True when a scope has a query to evaluate (an empty one, or an `accesses` one, matches every change of its kind). */
export function hasQuery(scope: { kind?: string; query?: Record<string, unknown> }): boolean {
  return (scope.kind ?? 'events') !== 'accesses' && scope.query !== undefined && Object.keys(scope.query).length > 0;
}

export function kindOfChange(change: string): ScopeKind | undefined {
  return change === 'eventsChanged' ? 'events' : change === 'streamsChanged' ? 'streams' : change === 'accessesChanged' ? 'accesses' : undefined;
}

type Resolved = NonNullable<PreparedScope['resolved']>;

function inStreams(ids: string[], streams: Resolved['streams']): boolean {
  if (streams === null) return true;
  return streams.some((c) => ids.some((s) => c.any.includes(s)) && c.all.every((set) => ids.some((s) => set.includes(s))) && !ids.some((s) => c.not.includes(s)));
}

export function eventMatches(event: { streamIds: string[]; type: string; content?: unknown; clientData?: unknown }, q: Resolved): boolean {
  if (!inStreams(event.streamIds, q.streams)) return false;
  if (q.types !== null && !q.types.exact.includes(event.type) && !q.types.prefixes.some((p) => event.type.startsWith(p))) return false;
  return matchesContentQuery(event, q.content ?? []);
}

function itemMatches(item: ChangeItem, q: Resolved): boolean {
  if (item.kind === 'events') return eventMatches(item.event, q);
  // A stream matches when it, or its parent (a new child of a watched stream), is in the scope.
  const ids = item.stream.parentId === null ? [item.stream.id] : [item.stream.id, item.stream.parentId];
  return q.streams === null || q.streams.some((c) => ids.some((s) => c.any.includes(s)));
}

/**
 * The keys of the scopes a change matches. A change whose items are unknown (the sender did not
 * say) matches every scope of its kind: a notification too many, never one missed.
 */
export function matchedKeys(scopes: ReadonlyMap<string, PreparedScope>, change: string, items: readonly ChangeItem[] | undefined): string[] {
  const kind = kindOfChange(change);
  if (kind === undefined) return [];
  const keys: string[] = [];
  for (const [key, scope] of scopes) {
    if (scope.kind !== kind) continue;
    const q = scope.resolved;
    if (q === null || items === undefined || items.some((i) => i.kind === kind && itemMatches(i, q))) keys.push(key);
  }
  return keys;
}
