import type { MongoClient } from 'mongodb';
import type { Stores } from '../../interfaces/stores.js';
import { DEFAULT_EVENTS_POLICY, type EventsStorePolicy } from '../../interfaces/events-store.js';
import type { MongoCtx } from './context.js';
import { guarded } from './unavailable.js';
import { MongoUsersStore } from './users-store.js';
import { MongoAccessesStore } from './accesses-store.js';
import { MongoStreamsStore } from './streams-store.js';
import { MongoEventsStore } from './events-store.js';
import { MongoSeriesStore } from './series-store.js';
import { MongoWebhooksStore } from './webhooks-store.js';
import { MongoAttemptsStore } from './attempts-store.js';
import { MongoUserDataStore } from './user-data-store.js';
import {
  MongoEmailVerificationsStore, MongoKeyValueStore, MongoMailTemplatesStore, MongoMfaStore, MongoProfileStore,
} from './small-stores.js';

export interface MongoStoresOptions {
  client: MongoClient;
  /** Whether the server runs multi-document transactions (a replica set or sharded cluster, not FerretDB). */
  transactions: () => Promise<boolean>;
  knownLocks?: Map<string, number>;
  eventsPolicy?: EventsStorePolicy;
}

/**
 * A transaction on a server without them (FerretDB): each write first keeps what it changes
 * (context.ts snapshot); if `fn` throws, those documents are put back, newest first, and the error
 * goes on. What waits for success (dropping series points) runs after `fn`. Not isolated: others
 * see the writes as they happen, and a write another request makes to the same document before the
 * undo is overwritten by it (docs/mongodb.md#guarantees).
 */
async function compensated<T>(ctx: MongoCtx, o: MongoStoresOptions, fn: (tx: Stores) => Promise<T>): Promise<T> {
  const tx: MongoCtx = { db: ctx.db, undo: [], onCommit: [] };
  let result: T;
  try {
    result = await fn(createMongoStores(tx, o));
  } catch (err) {
    for (const undo of (tx.undo ?? []).reverse()) await undo();
    throw err;
  }
  for (const done of tx.onCommit ?? []) await done();
  return result;
}

/**
 * Every store on one database. `transaction(fn)`: a real transaction when the server has them;
 * otherwise `fn` runs on the plain stores, and what makes it safe is the order of its writes, each
 * idempotent and atomic per document (docs/mongodb.md#guarantees): streams.delete rewrites events
 * first and deletes the stream root last, so a call that dies half-way is finished by calling it again.
 */
export function createMongoStores(ctx: MongoCtx, o: MongoStoresOptions): Stores {
  const knownLocks = o.knownLocks ?? new Map<string, number>();
  const policy = o.eventsPolicy ?? DEFAULT_EVENTS_POLICY;
  return guarded<Stores>({
    users: guarded(new MongoUsersStore(ctx)),
    accesses: guarded(new MongoAccessesStore(ctx)),
    streams: guarded(new MongoStreamsStore(ctx)),
    events: guarded(new MongoEventsStore(ctx, policy)),
    profile: guarded(new MongoProfileStore(ctx)),
    keyValue: guarded(new MongoKeyValueStore(ctx)),
    series: guarded(new MongoSeriesStore(ctx)),
    webhooks: guarded(new MongoWebhooksStore(ctx)),
    attempts: guarded(new MongoAttemptsStore(ctx, knownLocks)),
    mfa: guarded(new MongoMfaStore(ctx)),
    mailTemplates: guarded(new MongoMailTemplatesStore(ctx)),
    emailVerifications: guarded(new MongoEmailVerificationsStore(ctx)),
    userData: new MongoUserDataStore(ctx, o.client, o.transactions),
    transaction: async <T>(fn: (tx: Stores) => Promise<T>): Promise<T> => {
      // Already inside one (nested call): the same stores.
      if (ctx.session !== undefined || ctx.undo !== undefined) return fn(createMongoStores(ctx, o));
      if (!(await o.transactions())) return compensated(ctx, o, fn);
      const session = o.client.startSession();
      try {
        let result: T | undefined;
        await session.withTransaction(async () => {
          result = await fn(createMongoStores({ db: ctx.db, session }, o));
        });
        return result as T;
      } finally {
        await session.endSession();
      }
    },
  });
}
