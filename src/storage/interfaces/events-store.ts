import type { ContentCondition } from '../../domain/content-query.js';
import type { Event, ItemDeletion } from '../../domain/types.js';

/**
 * A resolved events query (domain/events-query.ts turns API params into this): stream ids are
 * already expanded to concrete ids and filtered by permissions.
 */
export interface EventsQuery {
  /** OR of clauses; an event matches a clause when it has a stream in `any`, one in each `all` set, none in `not`. */
  streams: { any: string[]; all: string[][]; not: string[] }[] | null;
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

/** A stored event as its API JSON text. */
export interface EventJson {
  doc: string;
  hasAttachments: boolean;
}

/** A pure function from the stored event to its new state (see EventsStore.update). */
export type EventChange = (current: Event) => Event;

export interface EventsStore {
  /** Streams the matching events in order, without loading them all in memory. */
  find(userId: string, query: EventsQuery): AsyncIterable<Event>;
  /**
   * Same as `find`, but each event as its API JSON text, so events.get can write it to the response
   * without a parse/serialize round trip. Attachments carry no per-access `readToken` here:
   * `hasAttachments` tells which events need them added (the others are written as they are).
   */
  findJson(userId: string, query: EventsQuery): AsyncIterable<EventJson>;
  deletionsSince(userId: string, since: number): AsyncIterable<ItemDeletion>;
  get(userId: string, id: string): Promise<Event | null>;
  /** Throws DuplicateKeyError('id'). */
  create(userId: string, event: Event): Promise<void>;
  /**
   * Atomic read-modify-write of one event (issue #16, no lost updates): `change` receives the event
   * as stored and returns its new state (same id), or throws to abort with nothing written.
   * Concurrent updates of one event are serialized, so each sees the previous one's result. `change`
   * must be synchronous and free of side effects: an engine may call it more than once (optimistic
   * retry), and only the last call's result is stored. Null when the event does not exist.
   */
  update(userId: string, id: string, change: EventChange): Promise<{ before: Event; after: Event } | null>;
  /** Deletes for good and records the deletion. */
  delete(userId: string, id: string, deleted: number): Promise<void>;
  /** Same for several events, in one statement. */
  deleteMany(userId: string, ids: string[], deleted: number): Promise<void>;
  /** Events referencing any of `streamIds` (stream deletion rules). */
  withStreams(userId: string, streamIds: string[]): Promise<Event[]>;
}
