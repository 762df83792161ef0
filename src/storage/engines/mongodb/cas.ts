import type { Document } from 'mongodb';
import { coll, opts, snapshot, type MongoCtx } from './context.js';
import { withLock } from './lease-lock.js';

/** A document lock's lease: far above one read-modify-write; a holder that died blocks this long. */
const DOC_LEASE_MS = 10_000;
const DOC_WAIT_MS = 60_000;

/**
 * Runs `fn` holding the lock named `key` (one document of `locks`, lease-lock.ts). FerretDB 1.24
 * applies an update by reading the matching documents, changing them in Go and writing them back
 * by `_id`, without checking the filter again: a conditional update (`{_id, rev}`) is no
 * compare-and-set there, and two `$inc`s can lose one (measured: 30 concurrent updates kept 19).
 * Only a unique-index insert is atomic, so every read-modify-write of a document goes under a lock
 * taken by such an insert.
 */
export function docLock<T>(ctx: MongoCtx, key: string, fn: () => Promise<T>): Promise<T> {
  return withLock(ctx.db, key, DOC_LEASE_MS, fn, DOC_WAIT_MS);
}

/**
 * Read-modify-write of one document under its lock (`lockKey`): `compute` gets the current
 * document (null when absent) and returns the fields to set, or null to leave it as it is. With
 * `insertWhenMissing`, an absent document is created from the fields. `rev` is bumped on each write.
 * Returns the document before and after, null when nothing was written.
 */
export async function casUpdate<T extends Document>(
  ctx: MongoCtx,
  collection: string,
  filter: Record<string, unknown>,
  compute: (current: T | null) => Document | null,
  options: { insertWhenMissing?: boolean; lockKey: string },
): Promise<{ before: T | null; after: Document } | null> {
  return docLock(ctx, `${collection} ${options.lockKey}`, async () => {
    const c = coll(ctx, collection);
    const current = (await c.findOne(filter, opts(ctx))) as T | null;
    const next = compute(current);
    if (next === null) return null;
    if (current === null) {
      if (options.insertWhenMissing !== true) return null;
      const doc = { ...next, rev: 1 };
      await snapshot(ctx, collection, filter);
      await c.insertOne({ ...doc }, opts(ctx));
      return { before: null, after: doc };
    }
    const rev = typeof current['rev'] === 'number' ? current['rev'] : 0;
    await snapshot(ctx, collection, { _id: current['_id'] });
    await c.updateOne({ _id: current['_id'] }, { $set: { ...next, rev: rev + 1 } }, opts(ctx));
    return { before: current, after: { ...current, ...next, rev: rev + 1 } };
  });
}
