import type { AttemptOutcome, AttemptPolicy, AttemptsStore } from '../../interfaces/attempts-store.js';
import { C, coll, opts, type MongoCtx } from './context.js';
import { casUpdate } from './cas.js';

interface AttemptDoc {
  _id: string;
  attempts: number;
  lastAt: number;
  lockedUntil: number;
}

/**
 * Same rules as the PostgreSQL store (one atomic step per attempt), as a compare-and-set on the
 * key's document: parallel callers each get their own count.
 */
export class MongoAttemptsStore implements AttemptsStore {
  constructor(
    private readonly ctx: MongoCtx,
    private readonly knownLocks: Map<string, number> = new Map(),
  ) {}

  async reserve(key: string, policy: AttemptPolicy, now: number): Promise<AttemptOutcome> {
    const known = this.knownLocks.get(key);
    if (known !== undefined) {
      if (known > now) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(known - now)) };
      this.knownLocks.delete(key);
    }
    let outcome: AttemptOutcome = { allowed: true, attempts: 1 };
    await casUpdate<AttemptDoc>(this.ctx, C.attempts, { _id: key }, (d) => {
      if (d !== null && d.lockedUntil > now) {
        outcome = { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(d.lockedUntil - now)) };
        this.remember(key, d.lockedUntil);
        return null;
      }
      const attempts = d === null || d.lastAt < now - policy.forgetAfterSeconds ? 1 : d.attempts + 1;
      const lockedUntil = attempts >= policy.free
        ? now + Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.min(40, attempts - policy.free))
        : 0;
      outcome = { allowed: true, attempts };
      return { _id: key, attempts, lastAt: now, lockedUntil };
    }, { insertWhenMissing: true, lockKey: key });
    if (Math.random() < 0.01) await coll(this.ctx, C.attempts).deleteMany({ lastAt: { $lt: now - 86_400 }, lockedUntil: { $lt: now - 86_400 } }, opts(this.ctx));
    return outcome;
  }

  private remember(key: string, until: number): void {
    if (this.knownLocks.size >= 10_000) this.knownLocks.clear();
    this.knownLocks.set(key, until);
  }

  async release(key: string, policy: AttemptPolicy): Promise<void> {
    this.knownLocks.delete(key);
    await casUpdate<AttemptDoc>(this.ctx, C.attempts, { _id: key }, (d) => {
      if (d === null) return null;
      const attempts = Math.max(d.attempts - 1, 0);
      return { attempts, lockedUntil: d.attempts - 1 < policy.free ? 0 : d.lockedUntil };
    }, { lockKey: key });
  }

  async clear(key: string): Promise<void> {
    this.knownLocks.delete(key);
    await coll<AttemptDoc>(this.ctx, C.attempts).deleteOne({ _id: key }, opts(this.ctx));
  }
}
