import type {
  ClaimedDelivery, DeliveryRelease, PendingChange, StoredWebhook, WebhookPatch, WebhookRun, WebhookScopes, WebhooksStore,
} from '../../interfaces/webhooks-store.js';
import type { Filter } from 'mongodb';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { C, coll, isDuplicateKey, opts, snapshot, type MongoCtx } from './context.js';
import { casUpdate, docLock } from './cas.js';

/**
 * Webhooks (`webhooks`, scopes as JSON text: their queries have free-form keys) and their delivery
 * queue (`webhookDeliveries`, one document per webhook with something to send), as in the
 * PostgreSQL engine (migration 6 there). Every queue change is one single-document write or a
 * compare-and-set on the delivery's `rev`; a claim is a lease, so a claimer that dies only delays
 * its messages until the lease ends.
 */
export interface WebhookDoc extends Omit<StoredWebhook, 'scopes'> {
  userId: string;
  scopes: string | null;
  bootAt: number | null;
  rev: number;
}

interface DeliveryDoc {
  userId: string;
  webhookId: string;
  messages: string[];
  sending: string[] | null;
  dueAt: number;
  claim: string | null;
  leaseUntil: number | null;
  rev: number;
}

export function toWebhook(d: WebhookDoc): StoredWebhook {
  return {
    id: d.id, accessId: d.accessId, url: d.url, secretSealed: d.secretSealed, state: d.state,
    scopes: d.scopes === null ? null : (JSON.parse(d.scopes) as WebhookScopes), runCount: d.runCount, failCount: d.failCount,
    currentRetries: d.currentRetries, maxRetries: d.maxRetries, minIntervalMs: d.minIntervalMs, runs: d.runs, lastRun: d.lastRun,
    created: d.created, createdBy: d.createdBy, modified: d.modified, modifiedBy: d.modifiedBy,
  };
}

/** The stored form of a webhook (create, and bin/restore's import). */
export const webhookDoc = (userId: string, w: StoredWebhook): WebhookDoc =>
  ({ ...w, userId, scopes: w.scopes === null ? null : JSON.stringify(w.scopes), bootAt: null, rev: 1 });

/** `a` then `b`, without repeats, in order of first appearance: changes are coalesced per webhook. */
const merged = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])];

const scopeKinds = (scopes: WebhookScopes): string[] => Object.values(scopes).map((s) => s.kind ?? 'events');

export class MongoWebhooksStore implements WebhooksStore {
  constructor(private readonly ctx: MongoCtx) {}

  private get webhooks() {
    return coll<WebhookDoc>(this.ctx, C.webhooks);
  }

  private get deliveries() {
    return coll<DeliveryDoc>(this.ctx, C.webhookDeliveries);
  }

  async create(userId: string, w: StoredWebhook): Promise<void> {
    try {
      await this.webhooks.insertOne(webhookDoc(userId, w), opts(this.ctx));
    } catch (err) {
      // FerretDB's E11000 on an insert names no index: a taken id is looked up.
      if (isDuplicateKey(err)) throw new DuplicateKeyError((await this.webhooks.findOne({ userId, id: w.id }, opts(this.ctx))) !== null ? 'id' : 'url');
      throw err;
    }
  }

  async get(userId: string, id: string): Promise<StoredWebhook | null> {
    const d = await this.webhooks.findOne({ userId, id }, opts(this.ctx));
    return d === null ? null : toWebhook(d);
  }

  async list(userId: string, accessId?: string): Promise<StoredWebhook[]> {
    const filter = accessId === undefined ? { userId } : { userId, accessId };
    return (await this.webhooks.find(filter, opts(this.ctx)).sort({ created: 1, id: 1 }).toArray()).map(toWebhook);
  }

  countForAccess(userId: string, accessId: string): Promise<number> {
    return this.webhooks.countDocuments({ userId, accessId }, opts(this.ctx));
  }

  async update(userId: string, id: string, patch: WebhookPatch): Promise<StoredWebhook | null> {
    const set: Partial<WebhookDoc> = { modified: patch.modified, modifiedBy: patch.modifiedBy };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.currentRetries !== undefined) set.currentRetries = patch.currentRetries;
    if (patch.scopes !== undefined) set.scopes = patch.scopes === null ? null : JSON.stringify(patch.scopes);
    if (patch.secretSealed !== undefined) set.secretSealed = patch.secretSealed;
    const res = await casUpdate<WebhookDoc>(this.ctx, C.webhooks, { userId, id }, (cur) => (cur === null ? null : set), { lockKey: `${userId} ${id}` });
    return res === null ? null : toWebhook(res.after as WebhookDoc);
  }

  /** The webhook first, then its delivery: a delivery left without webhook is dropped when claimed. */
  async delete(userId: string, id: string): Promise<boolean> {
    const { deletedCount } = await this.webhooks.deleteOne({ userId, id }, opts(this.ctx));
    await this.deliveries.deleteOne({ userId, webhookId: id }, opts(this.ctx));
    return deletedCount > 0;
  }

  async deleteForAccesses(userId: string, accessIds: string[]): Promise<number> {
    await snapshot(this.ctx, C.webhooks, { userId, accessId: { $in: accessIds } });
    const gone = await this.webhooks.find({ userId, accessId: { $in: accessIds } }, opts(this.ctx, { projection: { id: 1 } })).toArray();
    const { deletedCount } = await this.webhooks.deleteMany({ userId, accessId: { $in: accessIds } }, opts(this.ctx));
    if (gone.length > 0) await this.deliveries.deleteMany({ userId, webhookId: { $in: gone.map((w) => w.id) } }, opts(this.ctx));
    return deletedCount;
  }

  /** Every change of a delivery goes under its lock (cas.ts: `$addToSet` is no atomic step on FerretDB). */
  private deliveryLock<T>(userId: string, webhookId: string, fn: () => Promise<T>): Promise<T> {
    return docLock(this.ctx, `${C.webhookDeliveries} ${userId} ${webhookId}`, fn);
  }

  /** Adds messages to a webhook's pending delivery (created due `minIntervalMs` after its last call). */
  private async pend(w: WebhookDoc, messages: string[], now: number): Promise<void> {
    const dueAt = Math.max(now, w.lastRun.timestamp + w.minIntervalMs / 1000);
    await casUpdate<DeliveryDoc>(this.ctx, C.webhookDeliveries, { userId: w.userId, webhookId: w.id }, (d) =>
      d === null
        ? { userId: w.userId, webhookId: w.id, messages, sending: null, dueAt, claim: null, leaseUntil: null }
        : { messages: merged(d.messages, messages) },
    { insertWhenMissing: true, lockKey: `${w.userId} ${w.id}` });
  }

  private async activeOf(username: string): Promise<WebhookDoc[]> {
    const user = await coll(this.ctx, C.users).findOne({ username }, opts(this.ctx, { projection: { id: 1 } }));
    if (user === null) return [];
    return this.webhooks.find({ userId: String(user['id']), state: 'active' }, opts(this.ctx)).toArray();
  }

  async enqueueChanges(changes: readonly PendingChange[], now: number): Promise<number[]> {
    const counts: number[] = [];
    // In order, one change at a time: `pend` merges each into what already waits.
    for (const { username, message, scopeKind } of changes) {
      let count = 0;
      for (const w of await this.activeOf(username)) {
        if (scopeKind !== null && w.scopes !== null && !scopeKinds(JSON.parse(w.scopes) as WebhookScopes).includes(scopeKind)) continue;
        await this.pend(w, [message], now);
        count += 1;
      }
      counts.push(count);
    }
    return counts;
  }

  async withScopeQueries(username: string, kind: string): Promise<{ userId: string; webhook: StoredWebhook }[]> {
    const out: { userId: string; webhook: StoredWebhook }[] = [];
    for (const w of await this.activeOf(username)) {
      if (w.scopes === null) continue;
      const scopes = JSON.parse(w.scopes) as WebhookScopes;
      const has = Object.values(scopes).some((s) => (s.kind ?? 'events') === kind && typeof s.query === 'object' && s.query !== null && !Array.isArray(s.query) && Object.keys(s.query).length > 0);
      if (has) out.push({ userId: w.userId, webhook: toWebhook(w) });
    }
    return out;
  }

  async enqueueFor(userId: string, webhookId: string, messages: string[], now: number): Promise<void> {
    const w = await this.webhooks.findOne({ userId, id: webhookId, state: 'active' }, opts(this.ctx));
    if (w !== null) await this.pend(w, messages, now);
  }

  /** Per webhook, a compare-and-set on `bootAt`: of the workers of one start, one queues it. */
  async enqueueBoot(message: string, now: number, dedupSeconds: number): Promise<number> {
    let count = 0;
    const due: Filter<WebhookDoc> = { state: 'active', $or: [{ bootAt: null }, { bootAt: { $lt: now - dedupSeconds } }] };
    for (const w of await this.webhooks.find(due, opts(this.ctx)).toArray()) {
      const booted = await casUpdate<WebhookDoc>(this.ctx, C.webhooks, { _id: w._id }, (cur) =>
        cur !== null && cur.state === 'active' && (cur.bootAt === null || cur.bootAt < now - dedupSeconds) ? { bootAt: now } : null,
      { lockKey: `${w.userId} ${w.id}` });
      if (booted === null) continue;
      await this.pend(w, [message], now);
      count += 1;
    }
    return count;
  }

  async claimDue(now: number, leaseUntil: number, limit: number, claim: string): Promise<ClaimedDelivery[]> {
    const free = { dueAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] };
    const out: ClaimedDelivery[] = [];
    // More candidates than `limit`: concurrent claimers read the same ones, and each goes on past
    // those another took (what SKIP LOCKED does on PostgreSQL).
    for (const d of await this.deliveries.find(free, opts(this.ctx)).sort({ dueAt: 1 }).limit(limit * 20).toArray()) {
      if (out.length >= limit) break;
      // An expired lease (its claimer died mid-call) puts the messages it held back into this call.
      const res = await casUpdate<DeliveryDoc>(this.ctx, C.webhookDeliveries, { userId: d.userId, webhookId: d.webhookId }, (cur) => {
        if (cur === null || cur.dueAt > now || (cur.leaseUntil !== null && cur.leaseUntil >= now)) return null;
        return { sending: merged(cur.sending ?? [], cur.messages), messages: [], claim, leaseUntil };
      }, { lockKey: `${d.userId} ${d.webhookId}` });
      if (res === null) continue;
      const sending = (res.after as DeliveryDoc).sending ?? [];
      const w = await this.webhooks.findOne({ userId: d.userId, id: d.webhookId }, opts(this.ctx));
      if (w === null) {
        await this.deliveries.deleteOne({ userId: d.userId, webhookId: d.webhookId, claim }, opts(this.ctx));
        continue;
      }
      out.push({ userId: d.userId, webhook: toWebhook(w), messages: sending, claim });
    }
    return out;
  }

  async nextDue(now: number): Promise<number | null> {
    const free = { $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }] };
    const first = await this.deliveries.find(free, opts(this.ctx, { projection: { dueAt: 1 } })).sort({ dueAt: 1 }).limit(1).toArray();
    return first[0]?.dueAt ?? null;
  }

  async recordRun(userId: string, id: string, run: WebhookRun, ok: boolean, runsSize: number): Promise<StoredWebhook | null> {
    const res = await casUpdate<WebhookDoc>(this.ctx, C.webhooks, { userId, id }, (w) => {
      if (w === null) return null;
      const currentRetries = ok ? 0 : w.currentRetries + 1;
      return {
        runCount: w.runCount + 1, failCount: w.failCount + (ok ? 0 : 1), currentRetries,
        state: !ok && currentRetries >= w.maxRetries ? 'inactive' : w.state, lastRun: run, runs: [run, ...w.runs].slice(0, runsSize),
      };
    }, { lockKey: `${userId} ${id}` });
    return res === null ? null : toWebhook(res.after as WebhookDoc);
  }

  async release(userId: string, webhookId: string, claim: string, how: DeliveryRelease): Promise<void> {
    const key = { userId, webhookId, claim };
    await this.deliveryLock(userId, webhookId, async () => {
      const d = await this.deliveries.findOne(key, opts(this.ctx));
      if (d === null) return;
      await snapshot(this.ctx, C.webhookDeliveries, { _id: d._id });
      // A successful call with nothing new waiting leaves no document.
      if (how.kind === 'drop' || (how.kind === 'sent' && d.messages.length === 0)) {
        await this.deliveries.deleteOne({ _id: d._id }, opts(this.ctx));
        return;
      }
      const messages = how.kind === 'retry' ? merged(d.sending ?? [], d.messages) : d.messages;
      await this.deliveries.updateOne({ _id: d._id }, { $set: { messages, sending: null, claim: null, leaseUntil: null, dueAt: how.dueAt, rev: d.rev + 1 } }, opts(this.ctx));
    });
  }
}
