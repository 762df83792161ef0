import { MissingReferenceError, TooManyItemsError } from '../../interfaces/errors.js';
import type { SeriesRange, SeriesStore, SeriesWrite } from '../../interfaces/series-store.js';
import { CHUNK_POINTS, mergeRows, sliceRows, toChunks } from '../../series-chunks.js';
import { C, coll, opts, type MongoCtx } from './context.js';
import { withLock } from './lease-lock.js';
import { ensureUserCollections, ucoll } from './user-collections.js';

/**
 * Same layout as the PostgreSQL engine (migration 7 there): points in disjoint chunks of up to
 * CHUNK_POINTS, one document each (`seriesChunks`), holding the chunk's rows as JSON text.
 *
 * Without multi-document transactions, a write that rewrites chunks (points landing inside stored
 * ones) is made crash-safe by an operation record: the chunks to remove and the chunks to write go
 * to `seriesJournal` first (one document), then are applied with idempotent steps (deletes by
 * tMin, upserts by tMin), then the record goes. Whoever next takes the series' lock replays a record
 * left by a writer that died, so a merge is all-or-nothing as seen after recovery. Writers of one
 * series are serialised by a lease lock (lease-lock.ts). A batch of several series is applied
 * series by series: a failure part-way leaves the first ones written, and retrying the batch
 * converges to the same state (a point at a stored deltaTime replaces it), docs/mongodb.md.
 */

interface ChunkDoc {
  userId: string;
  eventId: string;
  tMin: number;
  tMax: number;
  n: number;
  points: string;
}

interface JournalDoc {
  userId: string;
  eventId: string;
  remove: number[];
  write: Omit<ChunkDoc, 'userId' | 'eventId'>[];
}

/** Lease of a series lock: far above one merge of a 100k-point batch. */
const LOCK_LEASE_MS = 30_000;
const READ_BATCH = 100;

const parseRows = (points: string): [number, string][] =>
  (JSON.parse(`[${points}]`) as unknown[][]).map((r) => [Number(r[0]), JSON.stringify(r)]);

export class MongoSeriesStore implements SeriesStore {
  constructor(private readonly ctx: MongoCtx) {}

  /** The user's own chunks collection (user-collections.ts). */
  private chunks(userId: string) {
    return ucoll<ChunkDoc>(this.ctx, 'seriesChunks', userId);
  }

  private lock<T>(userId: string, eventId: string, fn: () => Promise<T>): Promise<T> {
    return withLock(this.ctx.db, `series ${userId} ${eventId}`, LOCK_LEASE_MS, fn);
  }

  async write(userId: string, entries: SeriesWrite[]): Promise<void> {
    const list = entries.filter((e) => e.rows.length > 0).sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    // Every holder first: a batch naming a missing one writes nothing (each is checked again under
    // its series' lock, for a deletion in between).
    for (const e of list) {
      const holder = await ucoll(this.ctx, 'events', userId).findOne({ userId, id: e.eventId, deleted: null }, opts(this.ctx, { projection: { _id: 1 } }));
      if (holder === null) throw new MissingReferenceError('eventId');
    }
    for (const e of list) await this.lock(userId, e.eventId, () => this.writeLocked(userId, e));
  }

  private async writeLocked(userId: string, e: SeriesWrite): Promise<void> {
    await ensureUserCollections(this.ctx.db, userId);
    await this.replay(userId, e.eventId);
    // The holder may have been deleted since the caller checked it (PostgreSQL: the foreign key).
    const holder = await ucoll(this.ctx, 'events', userId).findOne({ userId, id: e.eventId, deleted: null }, opts(this.ctx, { projection: { _id: 1 } }));
    if (holder === null) throw new MissingReferenceError('eventId');
    const lo = e.deltaTimes[0] ?? 0;
    const hi = e.deltaTimes[e.deltaTimes.length - 1] ?? 0;
    const before = await this.chunks(userId).find({ userId, eventId: e.eventId, tMin: { $lte: hi } }, opts(this.ctx)).sort({ tMin: -1 }).limit(1).toArray();
    const last = before[0];
    if (last === undefined || last.tMax < lo) {
      // Append (the usual case): a small write fills the chunk before it, one atomic document write.
      if (last !== undefined && last.n + e.rows.length <= CHUNK_POINTS) {
        const res = await this.chunks(userId).updateOne(
          { userId, eventId: e.eventId, tMin: last.tMin, n: last.n },
          { $set: { tMax: hi, n: last.n + e.rows.length, points: `${last.points},${e.rows.join(',')}` } },
          opts(this.ctx),
        );
        // Under the series' lock nothing else changes the chunk: if it did, fail the write rather
        // than answer for points that are not there.
        if (res.matchedCount !== 1) throw new Error(`series chunk ${e.eventId}@${last.tMin} changed under its lock`);
        return;
      }
      const fresh = toChunks(e.deltaTimes, e.rows).map((c) => ({ userId, eventId: e.eventId, tMin: c.tMin, tMax: c.tMax, n: c.rows.length, points: c.rows.join(',') }));
      await this.chunks(userId).insertMany(fresh, opts(this.ctx, { ordered: true }));
      return;
    }
    await this.merge(userId, e, lo, hi);
  }

  /** Points inside stored chunks: the chunks they fall in are rewritten, through the journal. */
  private async merge(userId: string, e: SeriesWrite, lo: number, hi: number): Promise<void> {
    const first = await this.chunks(userId).find({ userId, eventId: e.eventId, tMin: { $lte: lo } }, opts(this.ctx)).sort({ tMin: -1 }).limit(1).toArray();
    const start = first[0]?.tMin;
    const tMin = start === undefined ? { $lte: hi } : { $gte: start, $lte: hi };
    const spans = await this.chunks(userId).find({ userId, eventId: e.eventId, tMin }, opts(this.ctx)).sort({ tMin: 1 }).toArray();
    const into = new Map<number, [number, string][]>();
    const gaps = new Map<number, [number, string][]>();
    let j = 0;
    e.deltaTimes.forEach((dt, i) => {
      while (j < spans.length && (spans[j]?.tMax ?? 0) < dt) j += 1;
      const span = spans[j];
      const inChunk = span !== undefined && span.tMin <= dt;
      const [target, key] = inChunk ? [into, span.tMin] : [gaps, j];
      const list = target.get(key) ?? [];
      list.push([dt, e.rows[i] ?? '']);
      target.set(key, list);
    });
    const write: JournalDoc['write'] = [];
    const push = (rows: [number, string][], max = CHUNK_POINTS): void => {
      for (const c of toChunks(rows.map((r) => r[0]), rows.map((r) => r[1]), max)) {
        write.push({ tMin: c.tMin, tMax: c.tMax, n: c.rows.length, points: c.rows.join(',') });
      }
    };
    for (const s of spans) {
      const incoming = into.get(s.tMin);
      if (incoming === undefined) continue;
      const merged = mergeRows(parseRows(s.points), incoming);
      push(merged, merged.length > 2 * CHUNK_POINTS ? CHUNK_POINTS : merged.length);
    }
    for (const run of gaps.values()) push(run);
    const journal: JournalDoc = { userId, eventId: e.eventId, remove: [...into.keys()], write };
    await coll<JournalDoc>(this.ctx, C.seriesJournal).replaceOne({ userId, eventId: e.eventId }, journal, opts(this.ctx, { upsert: true }));
    await this.apply(journal);
  }

  /** Idempotent: removes the old chunks, upserts the new ones, then drops the record. */
  private async apply(j: JournalDoc): Promise<void> {
    const key = { userId: j.userId, eventId: j.eventId };
    if (j.remove.length > 0) await this.chunks(j.userId).deleteMany({ ...key, tMin: { $in: j.remove } }, opts(this.ctx));
    for (const c of j.write) await this.chunks(j.userId).replaceOne({ ...key, tMin: c.tMin }, { ...key, ...c }, opts(this.ctx, { upsert: true }));
    await coll(this.ctx, C.seriesJournal).deleteOne(key, opts(this.ctx));
  }

  /** Finishes a merge whose writer died (called with the series' lock held). */
  private async replay(userId: string, eventId: string): Promise<void> {
    const pending = await coll<JournalDoc>(this.ctx, C.seriesJournal).findOne({ userId, eventId }, opts(this.ctx));
    if (pending !== null) await this.apply(pending);
  }

  /** Finishes a merge left by a writer that died, if any (bin/backup reads chunks directly). */
  async recover(userId: string, eventId: string): Promise<void> {
    if ((await coll(this.ctx, C.seriesJournal).countDocuments({ userId, eventId }, opts(this.ctx))) > 0) {
      await this.lock(userId, eventId, () => this.replay(userId, eventId));
    }
  }

  async *read(userId: string, eventId: string, range: SeriesRange): AsyncIterable<string> {
    await this.recover(userId, eventId);
    const from = range.from ?? Number.NEGATIVE_INFINITY;
    const to = range.to ?? Number.POSITIVE_INFINITY;
    // Start at the chunk holding `from` (chunks are disjoint). No infinities in filters: bounds
    // left open are left out.
    const first = range.from === null ? [] : await this.chunks(userId).find({ userId, eventId, tMin: { $lte: from } }, opts(this.ctx, { projection: { tMin: 1 } })).sort({ tMin: -1 }).limit(1).toArray();
    const tMin: Record<string, number> = {};
    if (first[0] !== undefined) tMin['$gte'] = first[0].tMin;
    if (range.to !== null) tMin['$lt'] = to;
    const filter = { userId, eventId, ...(Object.keys(tMin).length > 0 ? { tMin } : {}), ...(range.from === null ? {} : { tMax: { $gte: from } }) };
    if (range.maxPoints !== undefined && range.maxPoints !== null) await this.checkCount(userId, eventId, filter, from, to, range.maxPoints);
    const cursor = this.chunks(userId).find(filter, opts(this.ctx)).sort({ tMin: 1 }).batchSize(READ_BATCH);
    for await (const c of cursor) {
      if (c.tMin >= from && c.tMax < to) {
        yield c.points;
        continue;
      }
      const inside = sliceRows(c.points, from, to);
      if (inside !== '') yield inside;
    }
  }

  /** Refuses a range of more than `max` points before anything is sent: whole chunks by `n`, edges sliced. */
  private async checkCount(userId: string, eventId: string, filter: Record<string, unknown>, from: number, to: number, max: number): Promise<void> {
    let count = 0;
    for await (const c of this.chunks(userId).find(filter, opts(this.ctx, { projection: { tMin: 1, tMax: 1, n: 1 } }))) {
      if (c.tMin >= from && c.tMax < to) count += c.n;
      else {
        const edge = await this.chunks(userId).findOne({ userId, eventId, tMin: c.tMin }, opts(this.ctx));
        const inside = edge === null ? '' : sliceRows(edge.points, from, to);
        if (inside !== '') count += (JSON.parse(`[${inside}]`) as unknown[]).length;
      }
    }
    if (count > max) throw new TooManyItemsError(max, count);
  }

  async maxDeltaTime(userId: string, eventId: string): Promise<number | null> {
    const last = await this.chunks(userId).find({ userId, eventId }, opts(this.ctx, { projection: { tMax: 1 } })).sort({ tMin: -1 }).limit(1).toArray();
    return last[0]?.tMax ?? null;
  }
}
