import type { EventsQuery } from '../../domain/events-query.js';
import type { IntegrityAlgorithm } from '../../domain/integrity.js';
import type { Event, ItemDeletion } from '../../domain/types.js';

// The query shape is the domain's (domain/events-query.ts builds it): storage sits below domain.
export type { EventsQuery };

/**
 * Stored events as their API JSON text: one event, or several consecutive ones joined by commas
 * (only when none has attachments; `[${doc}]` is always a JSON array of events).
 */
export interface EventJson {
  doc: string;
  /** `doc` is one event, with attachments. */
  hasAttachments: boolean;
}

/**
 * How an engine keeps past versions and what a deletion leaves (config `versioning`, `integrity`;
 * docs/api.md#event-history). Given to the engine's store when it is built, so every write path
 * (events.update, trashing, attachments, streams.delete) follows it.
 */
export interface EventsStorePolicy {
  /** Keep the event as it was before each update and before its deletion. */
  keepHistory: boolean;
  /**
   * keep-nothing: the deletion keeps `{id, deleted}`, past versions are erased;
   * keep-authors: the deletion and each past version keep only `id, modified, modifiedBy` (+ `deleted`);
   * keep-everything: the deletion keeps every field, past versions are untouched.
   */
  deletionMode: 'keep-nothing' | 'keep-authors' | 'keep-everything';
  /** Compute `integrity` on every write (src/domain/integrity.ts); null = none (and a stale one is dropped). */
  integrity: IntegrityAlgorithm | null;
}

export const DEFAULT_EVENTS_POLICY: EventsStorePolicy = { keepHistory: false, deletionMode: 'keep-nothing', integrity: null };

/** A deleted event as events.get `eventDeletions` lists it: more than `{id, deleted}` per deletionMode. */
export type EventDeletion = ItemDeletion & Partial<Omit<Event, 'id'>>;

/** A pure function from the stored event to its new state (see EventsStore.update). */
export type EventChange = (current: Event) => Event;

export interface UpdateOptions {
  /** No past version kept for this write (metadata the server maintains, e.g. series holders). */
  skipVersion?: boolean;
}

export interface EventsStore {
  /** Streams the matching events in order, without loading them all in memory. */
  find(userId: string, query: EventsQuery): AsyncIterable<Event>;
  /**
   * Same as `find`, but as API JSON text, so events.get can write it to the response without a
   * parse/serialize round trip; an engine may yield runs of events without attachments as one
   * piece (EventJson). Attachments carry no per-access `readToken` here: `hasAttachments` tells
   * which events need them added (the others are written as they are).
   */
  findJson(userId: string, query: EventsQuery): AsyncIterable<EventJson>;
  deletionsSince(userId: string, since: number): AsyncIterable<EventDeletion>;
  get(userId: string, id: string): Promise<Event | null>;
  /**
   * Past versions of an event, oldest first, each shown under the event's own id (as the reference
   * does). Empty when none were kept (policy.keepHistory off, or erased by the deletion mode).
   */
  history(userId: string, id: string): Promise<Event[]>;
  /** Throws DuplicateKeyError('id'). Answers the event as stored (with `integrity` per policy). */
  create(userId: string, event: Event): Promise<Event>;
  /**
   * Several new events in one write (a batch call's events.create, issue #10), all or none: one
   * taken id fails the whole write with DuplicateKeyError('id') (which one is not said) and nothing
   * is written. The ids must differ from each other. Answers the events as stored, in order.
   * Optional: without it, callers create the events one by one.
   */
  createMany?(userId: string, events: readonly Event[]): Promise<Event[]>;
  /**
   * Atomic read-modify-write of one event (issue #16, no lost updates): `change` receives the event
   * as stored and returns its new state (same id), or throws to abort with nothing written.
   * Concurrent updates of one event are serialized, so each sees the previous one's result. `change`
   * must be synchronous and free of side effects: an engine may call it more than once (optimistic
   * retry), and only the last call's result is stored. Null when the event does not exist.
   */
  update(userId: string, id: string, change: EventChange, options?: UpdateOptions): Promise<{ before: Event; after: Event } | null>;
  /** Deletes for good and records the deletion, keeping what policy.deletionMode says. */
  delete(userId: string, id: string, deleted: number): Promise<void>;
  /** Same for several events, in one statement. */
  deleteMany(userId: string, ids: string[], deleted: number): Promise<void>;
  /** Every live event of every user, by user then id, streamed (maintenance: bin/integrity-check). */
  scanAll(): AsyncIterable<{ userId: string; event: Event }>;
  /** Events referencing any of `streamIds` (stream deletion rules). */
  withStreams(userId: string, streamIds: string[]): Promise<Event[]>;
}
