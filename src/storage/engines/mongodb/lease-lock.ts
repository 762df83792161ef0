import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { C } from './context.js';

interface LockDoc {
  _id: string;
  owner: string;
  until: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A named lock held by one document of `locks` with a lease: FerretDB has no advisory locks and no
 * transactions to serialise on. Taken by inserting the document (the `_id` is unique); a holder that
 * died leaves it, and it is taken over once its lease has passed. `leaseMs` must exceed what `fn`
 * can take, or a second holder may start before the first ends (callers keep `fn` short and
 * idempotent, so that costs repeated work, never a wrong result).
 */
export async function withLock<T>(db: Db, name: string, leaseMs: number, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  const locks = db.collection<LockDoc>(C.locks);
  const owner = randomUUID();
  const giveUp = Date.now() + waitMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const now = Date.now();
    try {
      await locks.insertOne({ _id: name, owner, until: now + leaseMs });
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
    // Taken: take it over if its lease has passed (the holder died), else wait.
    const stale = await locks.findOneAndUpdate({ _id: name, until: { $lt: now } }, { $set: { owner, until: now + leaseMs } });
    if (stale !== null) break;
    if (now > giveUp) throw new Error(`lock "${name}" still held after ${waitMs} ms`);
    await sleep(delay + Math.random() * delay);
  }
  try {
    return await fn();
  } finally {
    await locks.deleteOne({ _id: name, owner }).catch(() => undefined);
  }
}
