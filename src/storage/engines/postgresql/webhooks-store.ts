import type {
  ClaimedDelivery,
  DeliveryRelease,
  PendingChange,
  StoredWebhook,
  WebhookPatch,
  WebhookRun,
  WebhookScopes,
  WebhookState,
  WebhooksStore,
} from '../../interfaces/webhooks-store.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { isUniqueViolation, num } from './rows.js';
import type { Db } from './db.js';

interface WebhookRow {
  id: string;
  access_id: string;
  url: string;
  secret_sealed: string;
  state: WebhookState;
  scopes: WebhookScopes | null;
  run_count: number;
  fail_count: number;
  current_retries: number;
  max_retries: number;
  min_interval_ms: number;
  runs: WebhookRun[];
  last_run: WebhookRun;
  created: number;
  created_by: string;
  modified: number;
  modified_by: string;
}

const toWebhook = (r: WebhookRow): StoredWebhook => ({
  id: r.id,
  accessId: r.access_id,
  url: r.url,
  secretSealed: r.secret_sealed,
  state: r.state,
  scopes: r.scopes,
  runCount: num(r.run_count),
  failCount: num(r.fail_count),
  currentRetries: num(r.current_retries),
  maxRetries: num(r.max_retries),
  minIntervalMs: num(r.min_interval_ms),
  runs: r.runs,
  lastRun: r.last_run,
  created: num(r.created),
  createdBy: r.created_by,
  modified: num(r.modified),
  modifiedBy: r.modified_by,
});

/** `a || b` without repeats, in order of first appearance: changes are coalesced per webhook. */
const merged = (a: string, b: string): string =>
  `ARRAY(SELECT m FROM unnest(${a} || ${b}) WITH ORDINALITY AS x(m, n) GROUP BY m ORDER BY min(n))`;

/** Columns of the webhook (alias `w`) rows a pending delivery is created from. */
const PENDING_FROM = (message: string, now: string): string =>
  `SELECT w.user_id, w.id, ARRAY[${message}]::text[],
          greatest(${now}, (w.last_run ->> 'timestamp')::double precision + w.min_interval_ms / 1000.0)`;

const UPSERT = `ON CONFLICT (user_id, webhook_id) DO UPDATE SET messages = ${merged('webhook_deliveries.messages', 'EXCLUDED.messages')}`;

export class PgWebhooksStore implements WebhooksStore {
  constructor(private readonly db: Db) {}

  async create(userId: string, w: StoredWebhook): Promise<void> {
    try {
      await this.db.query(
        `INSERT INTO webhooks (user_id, id, access_id, url, secret_sealed, state, scopes, run_count, fail_count, current_retries,
           max_retries, min_interval_ms, runs, last_run, created, created_by, modified, modified_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [
          userId, w.id, w.accessId, w.url, w.secretSealed, w.state, w.scopes === null ? null : JSON.stringify(w.scopes), w.runCount,
          w.failCount, w.currentRetries, w.maxRetries, w.minIntervalMs, JSON.stringify(w.runs), JSON.stringify(w.lastRun),
          w.created, w.createdBy, w.modified, w.modifiedBy,
        ],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(err.constraint === 'webhooks_pkey' ? 'id' : 'url');
      throw err;
    }
  }

  async get(userId: string, id: string): Promise<StoredWebhook | null> {
    const { rows } = await this.db.query<WebhookRow>('SELECT * FROM webhooks WHERE user_id = $1 AND id = $2', [userId, id]);
    return rows[0] === undefined ? null : toWebhook(rows[0]);
  }

  async list(userId: string, accessId?: string): Promise<StoredWebhook[]> {
    const { rows } = await this.db.query<WebhookRow>(
      'SELECT * FROM webhooks WHERE user_id = $1 AND ($2::text IS NULL OR access_id = $2) ORDER BY created, id',
      [userId, accessId ?? null],
    );
    return rows.map(toWebhook);
  }

  async countForAccess(userId: string, accessId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM webhooks WHERE user_id = $1 AND access_id = $2', [userId, accessId]);
    return num(rows[0]?.n ?? 0);
  }

  async update(userId: string, id: string, patch: WebhookPatch): Promise<StoredWebhook | null> {
    // Absent keys keep their value; `scopes: null` clears them, hence the separate flag.
    const { rows } = await this.db.query<WebhookRow>(
      `UPDATE webhooks SET state = coalesce($3, state), current_retries = coalesce($4, current_retries),
         scopes = CASE WHEN $5 THEN $6::jsonb ELSE scopes END, modified = $7, modified_by = $8,
         secret_sealed = coalesce($9, secret_sealed)
       WHERE user_id = $1 AND id = $2 RETURNING *`,
      [
        userId, id, patch.state ?? null, patch.currentRetries ?? null, patch.scopes !== undefined,
        patch.scopes === undefined || patch.scopes === null ? null : JSON.stringify(patch.scopes), patch.modified, patch.modifiedBy,
        patch.secretSealed ?? null,
      ],
    );
    return rows[0] === undefined ? null : toWebhook(rows[0]);
  }

  async delete(userId: string, id: string): Promise<boolean> {
    // The pending delivery goes with it (foreign key ON DELETE CASCADE).
    const { rowCount } = await this.db.query('DELETE FROM webhooks WHERE user_id = $1 AND id = $2', [userId, id]);
    return (rowCount ?? 0) > 0;
  }

  async deleteForAccesses(userId: string, accessIds: string[]): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM webhooks WHERE user_id = $1 AND access_id = ANY($2)', [userId, accessIds]);
    return rowCount ?? 0;
  }

  async enqueueChanges(changes: readonly PendingChange[], now: number): Promise<number[]> {
    const counts = changes.map(() => 0);
    if (changes.length === 0) return counts;
    // Runs for every change, mostly of users without webhooks: one statement for all the changes
    // that accumulated, named so it is parsed and planned once per pooled connection (hot path,
    // docs/benchmarks.md). A webhook's messages are deduplicated, in order of first appearance.
    const { rows } = await this.db.query<{ ord: string; n: number }>({
      name: 'webhooks-enqueue-changes',
      text: `WITH c AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(username, message, kind, ord)
       ), hit AS (
         SELECT c.ord, c.message, w.user_id, w.id,
                greatest($4::double precision, (w.last_run ->> 'timestamp')::double precision + w.min_interval_ms / 1000.0) AS due_at
         FROM c JOIN users u ON u.username = c.username JOIN webhooks w ON w.user_id = u.id
         WHERE w.state = 'active'
           AND (c.kind IS NULL OR w.scopes IS NULL
                OR EXISTS (SELECT 1 FROM jsonb_each(w.scopes) AS s(k, v) WHERE coalesce(s.v ->> 'kind', 'events') = c.kind))
       ), firsts AS (
         SELECT user_id, id, due_at, message, min(ord) AS ord FROM hit GROUP BY user_id, id, due_at, message
       ), queued AS (
         INSERT INTO webhook_deliveries (user_id, webhook_id, messages, due_at)
         SELECT user_id, id, array_agg(message ORDER BY ord), due_at FROM firsts GROUP BY user_id, id, due_at
         ${UPSERT}
       )
       SELECT ord, count(*)::int AS n FROM hit GROUP BY ord`,
      values: [changes.map((c) => c.username), changes.map((c) => c.message), changes.map((c) => c.scopeKind), now],
    });
    for (const r of rows) counts[Number(r.ord) - 1] = r.n;
    return counts;
  }

  async withScopeQueries(username: string, kind: string): Promise<{ userId: string; webhook: StoredWebhook }[]> {
    // Runs on every change that says which items changed; named (planned once per connection).
    const { rows } = await this.db.query<WebhookRow & { user_id: string }>({
      name: 'webhooks-with-scope-queries',
      text: `SELECT w.* FROM webhooks w JOIN users u ON u.id = w.user_id
       WHERE u.username = $1 AND w.state = 'active' AND w.scopes IS NOT NULL
         AND EXISTS (SELECT 1 FROM jsonb_each(w.scopes) AS s(k, v)
                     WHERE coalesce(s.v ->> 'kind', 'events') = $2 AND jsonb_typeof(s.v -> 'query') = 'object' AND s.v -> 'query' <> '{}'::jsonb)`,
      values: [username, kind],
    });
    return rows.map((r) => ({ userId: r.user_id, webhook: toWebhook(r) }));
  }

  async enqueueFor(userId: string, webhookId: string, messages: string[], now: number): Promise<void> {
    await this.db.query(
      `INSERT INTO webhook_deliveries (user_id, webhook_id, messages, due_at)
       SELECT w.user_id, w.id, $3::text[], greatest($4::double precision, (w.last_run ->> 'timestamp')::double precision + w.min_interval_ms / 1000.0)
       FROM webhooks w WHERE w.user_id = $1 AND w.id = $2 AND w.state = 'active'
       ${UPSERT}`,
      [userId, webhookId, messages, now],
    );
  }

  async enqueueBoot(message: string, now: number, dedupSeconds: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `WITH booted AS (
         UPDATE webhooks SET boot_at = $2 WHERE state = 'active' AND (boot_at IS NULL OR boot_at < $2::double precision - $3::double precision) RETURNING *
       )
       INSERT INTO webhook_deliveries (user_id, webhook_id, messages, due_at)
       ${PENDING_FROM('$1::text', '$2::double precision')}
       FROM booted w
       ${UPSERT}`,
      [message, now, dedupSeconds],
    );
    return rowCount ?? 0;
  }

  async claimDue(now: number, leaseUntil: number, limit: number, claim: string): Promise<ClaimedDelivery[]> {
    // An expired lease (its claimer died mid-call) puts the messages it held back into this call.
    const { rows } = await this.db.query<WebhookRow & { user_id: string; sending: string[] }>(
      `WITH due AS (
         SELECT user_id, webhook_id FROM webhook_deliveries
         WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
         ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET sending = ${merged("coalesce(d.sending, '{}')", 'd.messages')}, messages = '{}',
           claim = $4, lease_until = $2
         FROM due WHERE d.user_id = due.user_id AND d.webhook_id = due.webhook_id
         RETURNING d.user_id, d.webhook_id, d.sending
       )
       SELECT c.sending, w.* FROM claimed c JOIN webhooks w ON w.user_id = c.user_id AND w.id = c.webhook_id`,
      [now, leaseUntil, limit, claim],
    );
    return rows.map((r) => ({ userId: r.user_id, webhook: toWebhook(r), messages: r.sending, claim }));
  }

  async nextDue(now: number): Promise<number | null> {
    const { rows } = await this.db.query<{ due: number | null }>(
      'SELECT min(due_at) AS due FROM webhook_deliveries WHERE lease_until IS NULL OR lease_until < $1',
      [now],
    );
    const due = rows[0]?.due;
    return due === null || due === undefined ? null : num(due);
  }

  async recordRun(userId: string, id: string, run: WebhookRun, ok: boolean, runsSize: number): Promise<StoredWebhook | null> {
    const { rows } = await this.db.query<WebhookRow>(
      `UPDATE webhooks SET
         run_count = run_count + 1,
         fail_count = fail_count + CASE WHEN $4 THEN 0 ELSE 1 END,
         current_retries = CASE WHEN $4 THEN 0 ELSE current_retries + 1 END,
         state = CASE WHEN NOT $4 AND current_retries + 1 >= max_retries THEN 'inactive' ELSE state END,
         last_run = $3::jsonb,
         runs = (SELECT coalesce(jsonb_agg(r ORDER BY n), '[]'::jsonb)
                 FROM jsonb_array_elements(jsonb_build_array($3::jsonb) || runs) WITH ORDINALITY AS x(r, n) WHERE n <= $5)
       WHERE user_id = $1 AND id = $2 RETURNING *`,
      [userId, id, JSON.stringify(run), ok, runsSize],
    );
    return rows[0] === undefined ? null : toWebhook(rows[0]);
  }

  async release(userId: string, webhookId: string, claim: string, how: DeliveryRelease): Promise<void> {
    const key = 'user_id = $1 AND webhook_id = $2 AND claim = $3';
    if (how.kind === 'drop') {
      await this.db.query(`DELETE FROM webhook_deliveries WHERE ${key}`, [userId, webhookId, claim]);
      return;
    }
    const messages = how.kind === 'retry' ? merged('sending', 'messages') : 'messages';
    await this.db.query(
      `UPDATE webhook_deliveries SET messages = ${messages}, sending = NULL, claim = NULL, lease_until = NULL, due_at = $4 WHERE ${key}`,
      [userId, webhookId, claim, how.dueAt],
    );
    // A successful call with nothing new waiting leaves no row.
    if (how.kind === 'sent') {
      await this.db.query(`DELETE FROM webhook_deliveries WHERE user_id = $1 AND webhook_id = $2 AND claim IS NULL AND messages = '{}'`, [
        userId, webhookId,
      ]);
    }
  }
}
