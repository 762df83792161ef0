import { scopeKindOf } from '../domain/webhook-rules.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeMessage } from '../notifications/messages.js';
import type { Stores } from '../storage/interfaces/stores.js';
import { enqueueScopeMatches } from './scoped-enqueue.js';
import type { ScopeKind } from '../domain/scope-match.js';

/** Changes per enqueue statement at most (its arrays are parameters). */
const MAX_BATCH = 500;

/**
 * Queues each change for the user's webhooks once, in the process that made it (issue #10): the
 * notifier calls `changed` as it publishes (src/worker/services.ts). Before, every API worker queued
 * every change it heard on the bus, so each write cost one enqueue statement per API worker. A
 * change heard from another process or clone was queued there; delivery loops claim due rows from
 * the shared table whichever process queued them (src/webhooks/delivery.ts).
 *
 * One batch is in flight at a time; changes arriving meanwhile go in the next one, so under load
 * many writes cost one enqueue statement (and a lone change is sent at once). Batches keep the
 * order of the changes. Queuing happens after the write's commit and its answer: a process killed
 * in between loses the webhook call for that change, never the change itself (docs/api.md#webhooks).
 */
export class WebhookEnqueue {
  private readonly log: Logger;
  private waiting: { message: ChangeMessage; kind: ScopeKind }[] = [];
  private inFlight = 0;
  private flushing: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();
  private closed = false;
  /** Changes handed to the store so far (tests: once per change, by its process only). */
  queued = 0;
  /** Store calls made for them (tests: fewer than changes under load). */
  batches = 0;

  constructor(
    private readonly stores: Stores,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'webhooks' });
  }

  /** Changes being queued now (metrics: webhook queue depth). */
  get depth(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Called after something was queued: this process's delivery loop claims it at once. */
  onQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(m: ChangeMessage): void {
    const kind = scopeKindOf(m.change);
    if (kind === undefined || this.closed) return;
    this.queued += 1;
    this.waiting.push({ message: m, kind });
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
    });
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.inFlight = batch.length;
      this.batches += 1;
      const now = Date.now() / 1000;
      try {
        const counts = await this.stores.webhooks.enqueueChanges(
          batch.map(({ message, kind }) => ({ username: message.username, message: message.change, scopeKind: kind })),
          now,
        );
        // Scope queries are looked at only for users with a webhook listening to this kind (the
        // change name was just queued for it): most changes cost no second query.
        for (const [i, { message, kind }] of batch.entries()) {
          if ((counts[i] ?? 0) === 0 || kind === 'accesses') continue;
          await enqueueScopeMatches(this.stores, this.log, message, kind, now).catch((err: unknown) =>
            this.log.error({ err }, 'webhook scope matches could not be queued'),
          );
        }
        if (counts.some((n) => n > 0)) for (const l of this.listeners) l();
      } catch (err) {
        this.log.error({ err, changes: batch.length }, 'webhook delivery could not be queued');
      } finally {
        this.inFlight = 0;
      }
    }
  }

  /** Waits for the changes being queued; later ones are ignored (the process is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
  }
}
