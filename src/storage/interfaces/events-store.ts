import type { EventsQuery } from '../../domain/events-query.js';
import type { Event, ItemDeletion } from '../../domain/types.js';

// The query shape is the domain's (domain/events-query.ts builds it): storage sits below domain.
export type { EventsQuery };

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
