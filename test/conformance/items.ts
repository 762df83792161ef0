import { afterAll, beforeAll, expect } from 'vitest';
import type { Access, Event, Stream, User } from '../../src/domain/types.js';
import type { EventDeletion, EventsQuery, EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import type { EngineDatabase, EngineFixture } from './engines.js';

/** Records and set-ups shared by the store conformance suites (each engine gets the same ones). */

export function event(id: string, extra: Partial<Event> = {}): Event {
  return {
    id, streamIds: ['s'], type: 'note/txt', time: 1000, duration: undefined, content: 'c', description: undefined,
    clientData: undefined, attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra,
  };
}

export function stream(id: string, extra: Partial<Stream> = {}): Stream {
  return { id, name: id, parentId: null, clientData: null, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra };
}

export function user(id: string, extra: Partial<User> = {}): User {
  return { id, username: id.replace(/[^a-z0-9]/g, ''), email: `${id}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1, ...extra };
}

/** A personal access (reads everything) as the domain builds events.get queries with. */
export function personalAccess(): Access {
  return {
    id: 'personal', token: 't', type: 'personal', name: 'p', deviceName: null, permissions: [], expires: null, lastUsed: null,
    calls: {}, clientData: null, deleted: null, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a',
  };
}

/** The store query of events.get with nothing set but what `q` says (no default limit). */
export function query(q: Partial<EventsQuery> = {}): EventsQuery {
  return { streams: null, types: null, fromTime: null, toTime: null, running: null, state: 'default', modifiedSince: null, sortAscending: false, skip: 0, limit: null, ...q };
}

export async function ids(stores: Stores, userId: string, q: EventsQuery): Promise<string[]> {
  const out: string[] = [];
  for await (const e of stores.events.find(userId, q)) out.push(e.id);
  return out;
}

export async function jsonIds(stores: Stores, userId: string, q: EventsQuery): Promise<{ id: string; hasAttachments: boolean }[]> {
  const out: { id: string; hasAttachments: boolean }[] = [];
  for await (const e of stores.events.findJson(userId, q)) {
    // A piece is one event or (none with attachments) several joined by commas.
    const events = JSON.parse(`[${e.doc}]`) as Event[];
    if (e.hasAttachments) expect(events).toHaveLength(1);
    for (const ev of events) out.push({ id: ev.id, hasAttachments: e.hasAttachments });
  }
  return out;
}

export async function eventDeletions(stores: Stores, userId: string, since = 0): Promise<EventDeletion[]> {
  const out: EventDeletion[] = [];
  for await (const d of stores.events.deletionsSince(userId, since)) out.push(d);
  return out;
}

/**
 * One fresh database per describe block, migrated, with the stores of `policy` and the given users:
 * `get()` answers them once beforeAll has run.
 */
export function freshStores(fixture: EngineFixture, users: User[] = [], policy?: EventsStorePolicy): { get: () => Stores; db: () => EngineDatabase } {
  let db: EngineDatabase | undefined;
  let stores: Stores | undefined;
  beforeAll(async () => {
    db = await fixture.freshDatabase();
    stores = await db.openStores(policy);
    for (const u of users) await stores.users.create(u);
  });
  afterAll(async () => {
    await db?.dispose();
  });
  return {
    get: () => {
      if (stores === undefined) throw new Error('stores used before beforeAll');
      return stores;
    },
    db: () => {
      if (db === undefined) throw new Error('database used before beforeAll');
      return db;
    },
  };
}
