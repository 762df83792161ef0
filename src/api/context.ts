import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { TokenVault } from '../auth/crypto.js';
import type { CoreSecrets } from '../secrets/core-secrets.js';
import type { Access, User } from '../domain/types.js';
import type { Stores } from '../storage/interfaces/stores.js';
import type { PlatformDb } from '../platform/platform-db.js';
import type { AttachmentFiles, StagedUpload } from '../storage/files/attachment-files.js';
import type { AccessCache } from '../auth/access-cache.js';
import type { EventTypes } from '../domain/event-types.js';
import type { Mailer } from '../mail/mailer.js';
import { baseAccessId } from '../domain/access-ids.js';
import type { ChangeItem, ChangeKind } from '../notifications/messages.js';
import type { NotificationBus } from '../notifications/bus.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { AuditTransport } from '../audit/audit-line.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { StreamTreeCache } from './stream-tree-cache.js';
import type { WebhookEnqueue } from '../webhooks/change-enqueue.js';


/** Change notifications (Socket.IO, webhooks) fan out from here after a write commits. */
export interface Notifier {
  /** `items`: the changed items, for scoped subscriptions (src/notifications/messages.ts). */
  /** `options.webhooks` false: the caller's user had no active webhook (RequestContext.hasWebhooks), nothing to queue. */
  emit(username: string, change: ChangeKind, payload?: Record<string, unknown>, items?: ChangeItem[], options?: { webhooks?: boolean }): void;
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
  /** Users' stream trees, reused while their streams version is unchanged (src/api/stream-tree-cache.ts). */
  streamTrees: StreamTreeCache;
  eventTypes: EventTypes;
  /** Attached files on disk (`attachments.dir`). */
  attachments: AttachmentFiles;
  notifier: Notifier;
  /** Where notifications arrive on this worker, whichever worker made the change. */
  bus: NotificationBus;
  /** Queues this process's changes for webhooks, once each (the notifier calls it). */
  webhookQueue: WebhookEnqueue;
  /** Queues transactional mails (src/mail/); never fails the request that triggered it. */
  mailer: Mailer;
  /** The audit trail of this worker (src/audit/); null with `audit.enabled: false`. */
  audit: AuditWriter | null;
  /** This worker's Prometheus metrics, summed by the master (src/metrics/). */
  metrics: WorkerMetrics;
}

/** One API call: who calls, for which user, from where. The same for HTTP, batch and Socket.IO. */
export interface RequestContext {
  services: Services;
  /** The path user; null on routes outside `/{username}/`. */
  user: User | null;
  /**
   * The path user's streams version as this call's user lookup read it: loadScope reuses the
   * worker's tree while it is current. A Socket.IO call reads it again, like a request. Absent for
   * the calls of a batch (its own stream writes come after the lookup: registry.ts reads it again
   * per call) and on engines that keep no version: those load the tree each time.
   */
  streamsVersion?: number;
  /**
   * Whether the path user had an active webhook as this call's user lookup read it (issue #10): a
   * change made with `false` is not queued for webhooks, which saves a statement per write. Read
   * before the change, so a webhook created or reactivated by a call answered before this one
   * started is seen. A Socket.IO call reads it again, like a request. Absent (queued as always) for
   * the calls of a batch (which may create a webhook themselves) or when the engine does not tell.
   */
  hasWebhooks?: boolean;
  /** The caller's access; null for public methods called without a token. */
  access: Access | null;
  /** Free text after the token (`"<token> <callerId>"`), appended to tracking fields. */
  callerId: string | null;
  origin: string | null;
  referer: string | null;
  /** The client's IP address (per-address attempt limits); absent where the transport has none. */
  clientAddress?: string | null;
  /** The client's User-Agent header (audit trail); absent where the transport has none. */
  userAgent?: string | null;
  /** How the call came (audit trail, metrics); absent = http. Batch calls are marked by callBatch. */
  transport?: AuditTransport;
  /** Inside a batch: writes count here and their audit lines are made durable once, at its end. */
  auditDeferred?: { writes: number };
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
