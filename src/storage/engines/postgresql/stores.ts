import type { Stores } from '../../../api/context.js';
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
import { PgMfaStore } from './mfa-store.js';
import { PgEmailVerificationsStore, PgMailTemplatesStore } from './mail-templates-store.js';
import { DEFAULT_EVENTS_POLICY, type EventsStorePolicy } from '../../interfaces/events-store.js';

export function createPgStores(pool: Db, knownLocks: Map<string, number> = new Map(), eventsPolicy: EventsStorePolicy = DEFAULT_EVENTS_POLICY): Stores {
  return {
    users: new PgUsersStore(pool),
    accesses: new PgAccessesStore(pool),
    streams: new PgStreamsStore(pool),
    events: new PgEventsStore(pool, eventsPolicy),
    profile: new PgProfileStore(pool),
    keyValue: new PgKeyValueStore(pool),
    series: new PgSeriesStore(pool),
    webhooks: new PgWebhooksStore(pool),
    attempts: new PgAttemptsStore(pool, knownLocks),
    mfa: new PgMfaStore(pool),
    mailTemplates: new PgMailTemplatesStore(pool),
    emailVerifications: new PgEmailVerificationsStore(pool),
    transaction: (fn) => inTransaction(pool, (client) => fn(createPgStores(client, knownLocks, eventsPolicy))),
  };
}
