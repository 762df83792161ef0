import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TokenVault } from '../auth/crypto.js';
import type { Config } from '../config/index.js';
import { BOOT_MESSAGE, payloadMessages, retryDelayMs } from '../domain/webhook-rules.js';
import type { Logger } from '../logging/logger.js';
import type { Stores } from '../storage/interfaces/stores.js';
import type { ClaimedDelivery, WebhookRun } from '../storage/interfaces/webhooks-store.js';
import { WebhookSender, type CallOutcome } from './sender.js';
import type { WebhookEnqueue } from './change-enqueue.js';

/** Fallback poll for deliveries queued by other processes (clones) or due after a restart. */
const POLL_MS = 1000;
/** Shortest wait between two claims, so a row locked by another worker never makes a busy loop. */
const MIN_WAIT_MS = 20;
const MAX_IN_FLIGHT = 16;
/** The API workers of one start each queue the boot message; within this window it goes once. */
const BOOT_DEDUP_S = 60;

/** What delivery needs; the worker's services (src/api/context.ts) satisfy it as they are. */
export interface DeliveryDeps {
  config: Readonly<Config>;
  logger: Logger;
  stores: Stores;
  vault: TokenVault;
  /** Where this process queues its changes (src/webhooks/change-enqueue.ts). */
  webhookQueue: WebhookEnqueue;
}

/**
 * Webhook delivery (Pryv API §3.5, issue #5). State lives in PostgreSQL, never in timers: every
 * change adds its name to the webhook's pending row, once, in the process that made it
 * (change-enqueue.ts), coalesced; the row's `due_at` carries minIntervalMs and the retry backoff. Any number of loops
 * (workers, clones) claim due rows with `FOR UPDATE SKIP LOCKED` and a lease longer than one call,
 * so a delivery is never sent twice at once, and one that was pending or between retries when the
 * process stopped is sent by whichever loop runs next.
 */
export class WebhookDelivery {
  private readonly log: Logger;
  private readonly sender: WebhookSender;
  private readonly leaseMs: number;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private ticking: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly enqueuing = new Set<Promise<void>>();

  constructor(private readonly deps: DeliveryDeps) {
    const c = deps.config.webhooks;
    this.log = deps.logger.child({ component: 'webhooks' });
    this.sender = new WebhookSender({ requestTimeoutMs: c.requestTimeoutMs, allowedHosts: c.allowedHosts, serial: deps.config.service.serial });
    this.leaseMs = 2 * c.requestTimeoutMs + 10_000;
  }

  /** Calls under way and changes being queued in this worker (metrics: webhook queue depth). */
  get depth(): { inFlight: number; enqueuing: number } {
    return { inFlight: this.inFlight.size, enqueuing: this.enqueuing.size + this.deps.webhookQueue.depth };
  }

  start(): void {
    // What this process queued is claimed at once; what other processes or clones queued, by
    // their own loop or at this one's next poll.
    this.unsubscribe = this.deps.webhookQueue.onQueued(() => this.schedule(0));
    // Claims start once the boot message is queued, so it rides with any delivery still pending from
    // before the restart instead of racing it.
    const boot = this.deps.stores.webhooks.enqueueBoot(BOOT_MESSAGE, Date.now() / 1000, BOOT_DEDUP_S);
    this.track(boot.finally(() => this.schedule(0)));
  }

  /** Stops claiming, lets calls under way finish and record their outcome, then closes connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer !== null) clearTimeout(this.timer);
    await this.ticking;
    await this.deps.webhookQueue.close();
    await Promise.allSettled([...this.enqueuing]);
    await Promise.allSettled([...this.inFlight]);
    await this.sender.close();
  }

  private track(enqueue: Promise<number>): void {
    const p: Promise<void> = enqueue
      .then((n) => {
        if (n > 0) this.schedule(0);
      })
      .catch((err: unknown) => this.log.error({ err }, 'webhook delivery could not be queued'))
      .finally(() => this.enqueuing.delete(p));
    this.enqueuing.add(p);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.tick();
    }, delayMs).unref();
  }

  private tick(): Promise<void> {
    if (this.ticking !== null) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = this.claimAndLaunch().finally(() => {
      this.ticking = null;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    });
    return this.ticking;
  }

  private async claimAndLaunch(): Promise<void> {
    if (this.stopped) return;
    const store = this.deps.stores.webhooks;
    let wait = POLL_MS;
    try {
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      const now = Date.now();
      const claimed = room > 0 ? await store.claimDue(now / 1000, (now + this.leaseMs) / 1000, room, randomBytes(9).toString('base64url')) : [];
      for (const d of claimed) this.launch(d);
      // Full: the next claim comes when a call ends. Else sleep until the next due row.
      if (claimed.length < room) {
        const next = await store.nextDue(Date.now() / 1000);
        if (next !== null) wait = Math.min(POLL_MS, Math.max(MIN_WAIT_MS, next * 1000 - Date.now()));
      }
    } catch (err) {
      this.log.error({ err }, 'webhook delivery loop failed; retrying');
    }
    this.schedule(wait);
  }

  private launch(d: ClaimedDelivery): void {
    const p: Promise<void> = this.deliver(d)
      .catch((err: unknown) => this.log.error({ err, webhookId: d.webhook.id }, 'webhook delivery failed'))
      .finally(() => {
        this.inFlight.delete(p);
        this.schedule(0);
      });
    this.inFlight.add(p);
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const { webhooks } = this.deps.stores;
    const { webhook, userId, claim } = d;
    if (webhook.state !== 'active') return webhooks.release(userId, webhook.id, claim, { kind: 'drop' });
    const messages = payloadMessages(d.messages, webhook.scopes);
    // Scopes changed since it was queued and nothing is left for this webhook: no call.
    if (messages.length === 0) return webhooks.release(userId, webhook.id, claim, { kind: 'sent', dueAt: Date.now() / 1000 });
    const outcome = await this.call(webhook, messages);
    const run: WebhookRun = { status: outcome.status, timestamp: Date.now() / 1000 };
    const c = this.deps.config.webhooks;
    if (!outcome.ok) this.log.info({ webhookId: webhook.id, status: outcome.status, error: outcome.error }, 'webhook call failed');
    await this.deps.stores.transaction(async (tx) => {
      const after = await tx.webhooks.recordRun(userId, webhook.id, run, outcome.ok, c.runsSize);
      if (after === null) return;
      if (after.state !== 'active') {
        if (!outcome.ok) this.log.warn({ webhookId: webhook.id, failures: after.currentRetries }, 'webhook deactivated after repeated failures');
        return tx.webhooks.release(userId, webhook.id, claim, { kind: 'drop' });
      }
      const now = Date.now();
      if (outcome.ok) return tx.webhooks.release(userId, webhook.id, claim, { kind: 'sent', dueAt: (now + after.minIntervalMs) / 1000 });
      const delay = Math.max(after.minIntervalMs, retryDelayMs(c.retryBaseDelayMs, after.currentRetries));
      return tx.webhooks.release(userId, webhook.id, claim, { kind: 'retry', dueAt: (now + delay) / 1000 });
    });
  }

  private async call(webhook: ClaimedDelivery['webhook'], messages: string[]): Promise<CallOutcome> {
    let secret: string;
    try {
      secret = this.deps.vault.unseal('webhook-secrets', webhook.secretSealed);
    } catch (err) {
      // Only a lost or retired webhook-secrets key does this; the call would be unverifiable.
      this.log.error({ err, webhookId: webhook.id }, 'webhook secret cannot be unsealed');
      return { status: 0, ok: false, error: 'secret unavailable' };
    }
    return this.sender.post(webhook, secret, messages);
  }
}

/** Runs the delivery loop while `app` is up: started once it is ready, stopped in its onClose. */
export function webhookDeliveryHooks(app: FastifyInstance, deps: DeliveryDeps): WebhookDelivery {
  const delivery = new WebhookDelivery(deps);
  app.addHook('onReady', async () => delivery.start());
  app.addHook('onClose', async () => delivery.stop());
  return delivery;
}
