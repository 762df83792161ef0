import { scopeKindOf } from '../domain/webhook-rules.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeMessage } from '../notifications/messages.js';
import type { Stores } from '../storage/interfaces/stores.js';
import { enqueueScopeMatches } from './scoped-enqueue.js';

/**
 * Queues each change for the user's webhooks once, in the process that made it (issue #10): the
 * notifier calls `changed` as it publishes (src/worker/services.ts). Before, every API worker queued
 * every change it heard on the bus, so each write cost one enqueue statement per API worker. A
 * change heard from another process or clone was queued there; delivery loops claim due rows from
 * the shared table whichever process queued them (src/webhooks/delivery.ts).
 */
export class WebhookEnqueue {
  private readonly log: Logger;
  private readonly pending = new Set<Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private closed = false;
  /** Changes handed to the store so far (tests: once per change, by its process only). */
  queued = 0;

  constructor(
    private readonly stores: Stores,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'webhooks' });
  }

  /** Changes being queued now (metrics: webhook queue depth). */
  get depth(): number {
    return this.pending.size;
  }

  /** Called after something was queued: this process's delivery loop claims it at once. */
  onQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(m: ChangeMessage): void {
    const kind = scopeKindOf(m.change);
    if (kind === undefined || this.closed) return;
    const now = Date.now() / 1000;
    this.queued += 1;
    // Scope queries are looked at only for users with a webhook listening to this kind (the change
    // name was just queued for it): most changes cost no second query.
    const queued = this.stores.webhooks.enqueue(m.username, m.change, kind, now).then(async (n) =>
      n > 0 && kind !== 'accesses' ? n + (await enqueueScopeMatches(this.stores, this.log, m, kind, now)) : n,
    );
    const p: Promise<void> = queued
      .then((n) => {
        if (n > 0) for (const l of this.listeners) l();
      })
      .catch((err: unknown) => this.log.error({ err }, 'webhook delivery could not be queued'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for the changes being queued; later ones are ignored (the process is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }
}
