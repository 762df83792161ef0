import type { Stores } from '../../interfaces/stores.js';
import { PgAccessesStore } from './accesses-store.js';
import { PgAttemptsStore } from './attempts-store.js';
import { PgEventsStore } from './events-store.js';
import { PgKeyValueStore } from './key-value-store.js';
import { PgProfileStore } from './profile-store.js';
import { PgSeriesStore } from './series-store.js';
import { PgStreamsStore } from './streams-store.js';
import { PgUsersStore } from './users-store.js';
import { PgWebhooksStore } from './webhooks-store.js';
import { inTransaction, type Db } from './db.js';
import { guarded } from './guarded.js';
import { PgMfaStore } from './mfa-store.js';
import { PgEmailVerificationsStore, PgMailTemplatesStore } from './mail-templates-store.js';
import { PgUserDataStore } from './user-data-store.js';
import { DEFAULT_EVENTS_POLICY, type EventsStorePolicy } from '../../interfaces/events-store.js';

export function createPgStores(pool: Db, knownLocks: Map<string, number> = new Map(), eventsPolicy: EventsStorePolicy = DEFAULT_EVENTS_POLICY): Stores {
  return guarded({
    users: guarded(new PgUsersStore(pool)),
    accesses: guarded(new PgAccessesStore(pool)),
    streams: guarded(new PgStreamsStore(pool)),
    events: guarded(new PgEventsStore(pool, eventsPolicy)),
    profile: guarded(new PgProfileStore(pool)),
    keyValue: guarded(new PgKeyValueStore(pool)),
    series: guarded(new PgSeriesStore(pool)),
    webhooks: guarded(new PgWebhooksStore(pool)),
    attempts: guarded(new PgAttemptsStore(pool, knownLocks)),
    mfa: guarded(new PgMfaStore(pool)),
    mailTemplates: guarded(new PgMailTemplatesStore(pool)),
    emailVerifications: guarded(new PgEmailVerificationsStore(pool)),
    userData: guarded(new PgUserDataStore(pool)),
    transaction: (fn) => inTransaction(pool, (client) => fn(createPgStores(client, knownLocks, eventsPolicy))),
  });
}
