import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { C } from './context.js';

interface LockDoc {
  _id: string;
  owner: string;
  until: number;
  /** On a takeover marker (below): the lock it was taken over from. */
  takeoverOf?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * How long a takeover marker is kept: far above the moment between reading a stale lock and
 * inserting the marker, so a late contender always finds it.
 */
const MARKER_KEEP_MS = 10 * 60_000;

/** True when the insert took the `_id`, false when it was there already. */
async function insertUnique(locks: Collection<LockDoc>, doc: LockDoc): Promise<boolean> {
  try {
    await locks.insertOne(doc);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 11000) throw err;
    return false;
  }
}

/**
 * A named lock held by one document of `locks` with a lease: FerretDB has no advisory locks and no
 * transactions to serialise on. Taken by inserting the document (the `_id` is unique); a holder that
 * died leaves it, and it is taken over once its lease has passed. `leaseMs` must exceed what `fn`
 * can take, or a second holder may start before the first ends (callers keep `fn` short and
 * idempotent, so that costs repeated work, never a wrong result).
 *
 * The takeover is made of unique inserts only: FerretDB 1.24 runs a conditional update or delete
 * (findOneAndUpdate `{_id, until < now}` included) as a read, then a write by `_id` that does not
 * check the filter again, so two contenders could both "take over" one stale document and hold the
 * lock together (seen in CI: two writers of one series, and an acknowledged write lost). Here the
 * one contender that inserts the marker `<name> takeover <dead owner>` removes the stale document;
 * then every contender races for the plain insert again.
 */
export async function withLock<T>(db: Db, name: string, leaseMs: number, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  const locks = db.collection<LockDoc>(C.locks);
  const owner = randomUUID();
  const giveUp = Date.now() + waitMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const now = Date.now();
    if (await insertUnique(locks, { _id: name, owner, until: now + leaseMs })) break;
    const held = await locks.findOne({ _id: name });
    if (held !== null && held.until < now && (await takeOver(locks, held, owner, now))) continue;
    if (now > giveUp) throw new Error(`lock "${name}" still held after ${waitMs} ms`);
    await sleep(delay + Math.random() * delay);
  }
  try {
    return await fn();
  } finally {
    await locks.deleteOne({ _id: name, owner }).catch(() => undefined);
  }
}

/**
 * Removes the stale lock `held` if this contender is the one allowed to (its marker insert won);
 * markers whose keep time has passed go first. Nobody else changes a stale document in
 * between: its holder is gone, and any other takeover of it needs the same marker.
 */
async function takeOver(locks: Collection<LockDoc>, held: LockDoc, owner: string, now: number): Promise<boolean> {
  // Old markers first: one left by a contender that died before its delete would block this lock.
  await locks.deleteMany({ takeoverOf: { $exists: true }, until: { $lt: now } });
  const marker: LockDoc = { _id: `${held._id} takeover ${held.owner}`, owner, until: now + MARKER_KEEP_MS, takeoverOf: held._id };
  if (!(await insertUnique(locks, marker))) return false;
  await locks.deleteOne({ _id: held._id, owner: held.owner });
  return true;
}
