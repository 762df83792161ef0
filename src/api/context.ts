import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { TokenVault } from '../auth/crypto.js';
import type { CoreSecrets } from '../secrets/core-secrets.js';
import type { Access, User } from '../domain/types.js';
import type { UsersStore } from '../storage/interfaces/users-store.js';
import type { AccessesStore } from '../storage/interfaces/accesses-store.js';
import type { StreamsStore } from '../storage/interfaces/streams-store.js';
import type { EventsStore } from '../storage/interfaces/events-store.js';
import type { ProfileStore } from '../storage/interfaces/profile-store.js';
import type { KeyValueStore } from '../storage/interfaces/key-value-store.js';
import type { SeriesStore } from '../storage/interfaces/series-store.js';
import type { WebhooksStore } from '../storage/interfaces/webhooks-store.js';
import type { AttemptsStore } from '../storage/interfaces/attempts-store.js';
import type { MfaStore } from '../storage/interfaces/mfa-store.js';
import type { EmailVerificationsStore, MailTemplatesStore } from '../storage/interfaces/mail-templates-store.js';
import type { PlatformDb } from '../platform/platform-db.js';
import type { AttachmentFiles, StagedUpload } from '../storage/files/attachment-files.js';
import type { AccessCache } from '../auth/access-cache.js';
import type { EventTypes } from '../domain/event-types.js';
import type { Mailer } from '../mail/mailer.js';
import { baseAccessId } from '../domain/access-ids.js';
import type { ChangeItem, ChangeKind } from '../notifications/messages.js';
import type { NotificationBus } from '../notifications/bus.js';

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
  /** Runs `fn` with stores bound to one transaction: all its writes commit together or not at all. */
  transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T>;
}

/** Change notifications (Socket.IO, webhooks) fan out from here after a write commits. */
export interface Notifier {
  /** `items`: the changed items, for scoped subscriptions (src/notifications/messages.ts). */
  emit(username: string, change: ChangeKind, payload?: Record<string, unknown>, items?: ChangeItem[]): void;
}

/** Process-wide dependencies of every method, built once per worker. */
export interface Services {
  config: Readonly<Config>;
  logger: Logger;
  secrets: CoreSecrets;
  vault: TokenVault;
  stores: Stores;
  platform: PlatformDb;
  accessCache: AccessCache;
  eventTypes: EventTypes;
  /** Attached files on disk (`attachments.dir`). */
  attachments: AttachmentFiles;
  notifier: Notifier;
  /** Where notifications arrive on this worker, whichever worker made the change. */
  bus: NotificationBus;
  /** Queues transactional mails (src/mail/); never fails the request that triggered it. */
  mailer: Mailer;
}

/** One API call: who calls, for which user, from where. The same for HTTP, batch and Socket.IO. */
export interface RequestContext {
  services: Services;
  /** The path user; null on routes outside `/{username}/`. */
  user: User | null;
  /** The caller's access; null for public methods called without a token. */
  access: Access | null;
  /** Free text after the token (`"<token> <callerId>"`), appended to tracking fields. */
  callerId: string | null;
  origin: string | null;
  referer: string | null;
  /** The client's IP address (per-address attempt limits); absent where the transport has none. */
  clientAddress?: string | null;
  methodId: string;
  /** The token as given (HTTP only): public methods that take another kind of token read it here (mfa.*: the mfaToken). */
  bearerToken?: string | null;
  /** Files of a multipart request (events.create, events.update), staged on disk; absent otherwise. */
  uploads?: readonly StagedUpload[];
}

/** The `createdBy` / `modifiedBy` value of a write by this caller. */
export function authorOf(ctx: RequestContext): string {
  // The base id (without `:<serial>`): tracking must keep pointing at the access across updates.
  const id = ctx.access === null ? 'system' : baseAccessId(ctx.access.id);
  return ctx.callerId === null ? id : `${id} ${ctx.callerId}`;
}

export function nowSeconds(): number {
  return Date.now() / 1000;
}
