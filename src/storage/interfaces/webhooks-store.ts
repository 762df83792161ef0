import type { Tracking } from '../../domain/types.js';

/** One call of a webhook: HTTP status (0 = no answer: refused, unreachable, timed out) and when. */
/** One change for the webhooks of a user (`WebhooksStore.enqueueChanges`). */
export interface PendingChange {
  username: string;
  message: string;
  scopeKind: string | null;
}

export interface WebhookRun {
  status: number;
  timestamp: number;
}

export type WebhookState = 'active' | 'inactive';

/** What a scope key listens to (Pryv API §6 subscriptions); `query` as events.get params (src/domain/scope-query.ts). */
export interface WebhookScope {
  kind?: 'events' | 'streams' | 'accesses';
  query?: Record<string, unknown>;
}

export type WebhookScopes = Record<string, WebhookScope>;

/** A webhook as stored (Pryv API §2.6); the signing secret only sealed (src/auth/crypto.ts TokenVault). */
export interface StoredWebhook extends Tracking {
  id: string;
  /** Base id of the access that created it. */
  accessId: string;
  url: string;
  secretSealed: string;
  state: WebhookState;
  scopes: WebhookScopes | null;
  runCount: number;
  failCount: number;
  currentRetries: number;
  maxRetries: number;
  minIntervalMs: number;
  /** Newest first, at most `webhooks.runsSize`. */
  runs: WebhookRun[];
  lastRun: WebhookRun;
}

/** What webhooks.update may change, with the tracking fields (`secretSealed`: bin/keys reseal only). */
export type WebhookPatch = Partial<Pick<StoredWebhook, 'state' | 'scopes' | 'currentRetries' | 'secretSealed'>> & Pick<StoredWebhook, 'modified' | 'modifiedBy'>;

/** A pending delivery claimed by one delivery loop: nobody else sends it until its lease ends. */
export interface ClaimedDelivery {
  userId: string;
  webhook: StoredWebhook;
  /** The coalesced messages of this call (change names, `webhooksServiceBoot`). */
  messages: string[];
  claim: string;
}

/** How a claimed delivery ends (src/webhooks/delivery.ts decides). */
export type DeliveryRelease =
  /** Sent: messages that arrived meanwhile wait until `dueAt`; the row goes when nothing waits. */
  | { kind: 'sent'; dueAt: number }
  /** Failed: the claimed messages go back with the new ones, due at `dueAt`. */
  | { kind: 'retry'; dueAt: number }
  /** Nothing more to send (webhook inactive or gone). */
  | { kind: 'drop' };

export interface WebhooksStore {
  /** Throws DuplicateKeyError('url') when the access already has a webhook with that url. */
  create(userId: string, webhook: StoredWebhook): Promise<void>;
  get(userId: string, id: string): Promise<StoredWebhook | null>;
  /** Oldest first; only the webhooks of `accessId` when given. */
  list(userId: string, accessId?: string): Promise<StoredWebhook[]>;
  countForAccess(userId: string, accessId: string): Promise<number>;
  /** Returns the updated webhook, null when it does not exist. */
  update(userId: string, id: string, patch: WebhookPatch): Promise<StoredWebhook | null>;
  /** Also drops its pending delivery. False when it did not exist. */
  delete(userId: string, id: string): Promise<boolean>;
  /** Webhooks of deleted accesses (Pryv API §3.4 delete). Returns how many went. */
  deleteForAccesses(userId: string, accessIds: string[]): Promise<number>;

  // ── delivery queue: one row per webhook with something to send (Pryv API §3.5) ──

  /**
   * Adds each change's `message` to the pending delivery of every active webhook of its `username`
   * (creating it, due `minIntervalMs` after the webhook's last call), merged with what already waits,
   * in the order given. `scopeKind`: only unscoped webhooks and scoped ones with a key of that kind;
   * null = all. Returns, per change, how many webhooks got it. Many changes are one statement: the
   * change path sends what accumulated while the previous call ran (src/webhooks/change-enqueue.ts).
   */
  enqueueChanges(changes: readonly PendingChange[], now: number): Promise<number[]>;
  /** Active webhooks of `username` with a scope of `kind` that has a query (their own matching, docs/api.md#webhooks). */
  withScopeQueries(username: string, kind: string): Promise<{ userId: string; webhook: StoredWebhook }[]>;
  /** Adds `messages` to the pending delivery of one webhook (as `enqueue` does for all). */
  enqueueFor(userId: string, webhookId: string, messages: string[], now: number): Promise<void>;
  /**
   * `message` for every active webhook not given one since `now - dedupSeconds` (so the workers of
   * one start, each calling this, queue it once). Returns the count.
   */
  enqueueBoot(message: string, now: number, dedupSeconds: number): Promise<number>;
  /**
   * Claims up to `limit` due deliveries not leased by anyone (`FOR UPDATE SKIP LOCKED`), leasing them
   * until `leaseUntil`; messages that arrive while one is out wait for the next call.
   */
  claimDue(now: number, leaseUntil: number, limit: number, claim: string): Promise<ClaimedDelivery[]>;
  /** Earliest due time of a delivery nobody holds, null when none. */
  nextDue(now: number): Promise<number | null>;
  /**
   * Counts one call: runs/lastRun, runCount, and on success resets currentRetries; on failure adds
   * to failCount and currentRetries and turns the webhook inactive once currentRetries reaches
   * maxRetries. Returns the webhook after the change, null if it is gone.
   */
  recordRun(userId: string, id: string, run: WebhookRun, ok: boolean, runsSize: number): Promise<StoredWebhook | null>;
  /** Ends a claim (no-op when the lease was lost to another claimer). */
  release(userId: string, webhookId: string, claim: string, how: DeliveryRelease): Promise<void>;
}
