import type { ChangeItem } from '../domain/scope-match.js';

/**
 * Change notifications (Pryv API §6): what happened to whose data. Clients get no data with them;
 * `items` says which items changed, for scoped subscriptions only (src/domain/scope-match.ts).
 */
export type ChangeKind = 'eventsChanged' | 'streamsChanged' | 'accessesChanged' | 'accessUpdated';

export interface ChangeMessage {
  username: string;
  change: ChangeKind;
  /** accessUpdated: `{type: 'access-updated', accessId, serial}`. */
  payload?: Record<string, unknown>;
  /** The changed items (each event's state before and after), when the sender knows them. */
  items?: ChangeItem[];
}

// What scope matching needs of a changed item: the domain's type (src/domain/scope-match.ts).
export type { ChangeItem };

/** The fields of an event that scopes match on (its id and the rest are never relayed). */
export function eventItem(e: { streamIds: string[]; type: string; content?: unknown; clientData?: unknown }): ChangeItem {
  return { kind: 'events', event: { streamIds: e.streamIds, type: e.type, content: e.content, clientData: e.clientData } };
}

export function isChangeMessage(m: unknown): m is ChangeMessage {
  if (typeof m !== 'object' || m === null) return false;
  const c = m as { username?: unknown; change?: unknown };
  return typeof c.username === 'string' && ['eventsChanged', 'streamsChanged', 'accessesChanged', 'accessUpdated'].includes(String(c.change));
}
