import type { UsersStore } from './users-store.js';
import type { AccessesStore } from './accesses-store.js';
import type { StreamsStore } from './streams-store.js';
import type { EventsStore } from './events-store.js';
import type { ProfileStore } from './profile-store.js';
import type { KeyValueStore } from './key-value-store.js';
import type { SeriesStore } from './series-store.js';
import type { WebhooksStore } from './webhooks-store.js';
import type { AttemptsStore } from './attempts-store.js';
import type { MfaStore } from './mfa-store.js';
import type { EmailVerificationsStore, MailTemplatesStore } from './mail-templates-store.js';
import type { UserDataStore } from './user-data-store.js';

/** Every store of one user-data engine; what methods reach storage through. */
export interface Stores {
  users: UsersStore;
  accesses: AccessesStore;
  streams: StreamsStore;
  events: EventsStore;
  profile: ProfileStore;
  /** Short-lived single-use records (password-reset tokens). */
  keyValue: KeyValueStore;
  /** High-frequency series points (Pryv API §5). */
  series: SeriesStore;
  webhooks: WebhooksStore;
  /** Failed-login and per-address request counters (src/auth/attempt-limits.ts). */
  attempts: AttemptsStore;
  /** Confirmed second factors (mfa.*). */
  mfa: MfaStore;
  /** Mail-template parts set by the admin routes. */
  mailTemplates: MailTemplatesStore;
  /** Verified email addresses (account.verifyEmail). */
  emailVerifications: EmailVerificationsStore;
  /** Whole-user export (one snapshot) and import: bin/backup, bin/restore (issue #12). */
  userData: UserDataStore;
  /** Runs `fn` with stores bound to one transaction: all its writes commit together or not at all. */
  transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T>;
}
