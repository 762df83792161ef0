import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { AccessCache } from '../auth/access-cache.js';
import { setScryptConcurrency, TokenVault } from '../auth/crypto.js';
import { EventTypes } from '../domain/event-types.js';
import { PlatformDb } from '../platform/platform-db.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import type { CoreSecrets } from '../secrets/core-secrets.js';
import type { UserDataEngine } from '../storage/interfaces/engine-module.js';
import type { Notifier, Services } from '../api/context.js';
import { NotificationBus } from '../notifications/bus.js';
import { noMailer } from '../mail/mailer.js';
import { SmtpMailer } from '../mail/smtp-mailer.js';
import { AttachmentFiles, attachmentsDirOf } from '../storage/files/attachment-files.js';
import { PreviewCache, previewsCacheDirOf } from '../previews/preview-cache.js';
import { hostname } from 'node:os';
import { AuditWriter } from '../audit/audit-writer.js';
import { auditDirOf } from '../audit/audit-dir.js';
import { fileTag } from '../audit/audit-line.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { StreamTreeCache } from '../api/stream-tree-cache.js';
import { WebhookEnqueue } from '../webhooks/change-enqueue.js';

export interface ServicesDeps {
  config: Readonly<Config>;
  logger: Logger;
  secrets: CoreSecrets;
  /** The user-data engine (src/storage/engine-registry.ts); the services use its stores. */
  engine: UserDataEngine;
  rqlite: RqliteClient;
  notifier?: Notifier;
  /** Defaults to a process-local bus (one worker / tests). */
  bus?: NotificationBus;
  /** Defaults to the bundled directory (workers pass what service.eventTypesSource gave). */
  eventTypes?: EventTypes;
  /** The worker role (metrics label); default api. */
  role?: string;
}

/** Largest JSON size of a change's items sent along (src/notifications/messages.ts). */
const MAX_ITEMS_CHARS = 16_384;

/**
 * Notifications go on the bus, which fans them out to every worker's sockets; webhooks get the
 * change queued here, once, by the process that made it (src/webhooks/change-enqueue.ts).
 */
function busNotifier(bus: NotificationBus, webhooks: WebhookEnqueue): Notifier {
  return {
    emit: (username, change, payload, items, options) => {
      // Items travel to every worker (cluster IPC): large ones are left out, and a change without
      // items matches every scope of its kind (a notification too many, never one missed).
      const kept = items !== undefined && JSON.stringify(items).length <= MAX_ITEMS_CHARS ? items : undefined;
      const message = { username, change, ...(payload === undefined ? {} : { payload }), ...(kept === undefined ? {} : { items: kept }) };
      bus.publish(message);
      if (options?.webhooks !== false) webhooks.changed(message);
    },
  };
}

/** Everything a method needs, built once per worker (and per test app). */
export function buildServices(deps: ServicesDeps): Services & { close: () => Promise<void> } {
  setScryptConcurrency(deps.config.cluster.scryptConcurrency, deps.config.cluster.scryptNice);
  const { versioning, integrity } = deps.config;
  const stores = deps.engine.stores({
    keepHistory: versioning.forceKeepHistory,
    deletionMode: versioning.deletionMode,
    integrity: integrity.events ? integrity.algorithm : null,
  });
  const accessCache = new AccessCache(stores.accesses, deps.logger);
  const bus = deps.bus ?? new NotificationBus(null);
  const webhookQueue = new WebhookEnqueue(stores, deps.logger);
  const platform = new PlatformDb(deps.rqlite, deps.config.platformDb.cache);
  const a = deps.config.audit;
  const audit = a.enabled
    ? new AuditWriter({ dir: auditDirOf(deps.config), tag: fileTag(hostname()), flushIntervalMs: a.flushIntervalMs, syncIntervalMs: a.syncIntervalMs, maxBufferedLines: a.maxBufferedLines, minFreeBytes: a.minFreeBytes, logger: deps.logger })
    : null;
  const mailer = deps.config.mail.enabled ? new SmtpMailer(deps.config, deps.logger, stores.mailTemplates) : noMailer;
  return {
    config: deps.config,
    logger: deps.logger,
    secrets: deps.secrets,
    vault: new TokenVault(deps.secrets.keys),
    stores,
    platform,
    accessCache,
    streamTrees: new StreamTreeCache(deps.config.cluster.streamTreeCacheUsers),
    eventTypes: deps.eventTypes ?? new EventTypes(),
    // Previews are derived from attachments: they go with their event or user.
    attachments: new AttachmentFiles(attachmentsDirOf(deps.config), [new PreviewCache(previewsCacheDirOf(deps.config))]),
    bus,
    notifier: deps.notifier ?? busNotifier(bus, webhookQueue),
    webhookQueue,
    mailer,
    audit,
    metrics: new WorkerMetrics(deps.role ?? 'api'),
    close: async () => {
      // Buffered audit lines go to disk before the worker exits.
      await audit?.close();
      // First: a delivery under way may still read templates from the database.
      await mailer.close();
      await webhookQueue.close();
      platform.close();
      await accessCache.close();
    },
  };
}
