import type { Document } from 'mongodb';
import { coll, opts, type MongoCtx } from './context.js';

/** Attempts before a compare-and-set loop gives up (each lost round means another writer won). */
const MAX_ROUNDS = 100;

/**
 * Optimistic read-modify-write of one document, the way FerretDB (no multi-document transactions,
 * no pipeline updates) can do it atomically: read it, compute the change, and write only if its
 * `rev` is still the one read; otherwise read again. Each document carries `rev`, bumped by every
 * write through here. `compute` gets the current document (null when absent) and returns the fields
 * to set, or null to leave it as it is. Returns the fields as written (null when nothing was).
 */
export async function casUpdate<T extends Document>(
  ctx: MongoCtx,
  collection: string,
  filter: Record<string, unknown>,
  compute: (current: T | null) => Document | null,
  options: { insertWhenMissing?: boolean } = {},
): Promise<{ before: T | null; after: Document } | null> {
  const c = coll(ctx, collection);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const current = (await c.findOne(filter, opts(ctx))) as T | null;
    const next = compute(current);
    if (next === null) return null;
    if (current === null) {
      if (options.insertWhenMissing !== true) return null;
      try {
        await c.insertOne({ ...next, rev: 1 }, opts(ctx));
        return { before: null, after: { ...next, rev: 1 } };
      } catch (err) {
        // Someone inserted it meanwhile: go round again, on their document.
        if ((err as { code?: unknown }).code === 11000 && round < MAX_ROUNDS - 1) continue;
        throw err;
      }
    }
    const rev = typeof current['rev'] === 'number' ? current['rev'] : 0;
    const revFilter = rev === 0 ? { $or: [{ rev: 0 }, { rev: { $exists: false } }] } : { rev };
    const res = await c.updateOne({ _id: current['_id'], ...revFilter }, { $set: { ...next, rev: rev + 1 } }, opts(ctx));
    if (res.matchedCount === 1) return { before: current, after: { ...current, ...next, rev: rev + 1 } };
  }
  throw new Error(`${collection}: no update won after ${MAX_ROUNDS} rounds of concurrent writes`);
}
