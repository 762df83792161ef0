import { StaleHolderError, StorageUnavailableError } from '../../interfaces/errors.js';
import type { HolderFacts, SeriesWrite } from '../../interfaces/series-store.js';
import { CHUNK_POINTS, toChunks } from '../../series-chunks.js';
import type { Db } from './db.js';
import { guardAvailability } from './unavailable.js';

/** series_put_many() statuses (migration 21). */
export const WRITTEN = 0;
export const OVERLAPS = 1;
export const STALE_HOLDER = 2;

export interface PutEntry {
  userId: string;
  write: SeriesWrite;
}

/** Holder facts as series_put_many() compares them: stream ids joined by U+001F. */
function factsKey(h: HolderFacts | undefined): string {
  return h === undefined ? '' : `${h.type}\u001f${h.time}\u001f${h.streamIds.join('\u001f')}`;
}

/**
 * The same series' entries of one group, as fewer entries: when their ranges are disjoint and their
 * holder facts equal, they are concurrent appends (no request was answered yet, so no order between
 * them is promised) and become one entry in deltaTime order, one chunk append instead of several.
 * Overlapping ones keep their arrival order, so the last to arrive wins on a shared deltaTime.
 */
function coalesce(run: { i: number; e: PutEntry }[]): { members: number[]; e: PutEntry }[] {
  const byStart = [...run].sort((a, b) => (a.e.write.deltaTimes[0] ?? 0) - (b.e.write.deltaTimes[0] ?? 0));
  const facts = factsKey(run[0]?.e.write.holder);
  const disjoint = byStart.every((x, k) => {
    const prev = byStart[k - 1];
    return factsKey(x.e.write.holder) === facts && (prev === undefined || (x.e.write.deltaTimes[0] ?? 0) > (prev.e.write.deltaTimes.at(-1) ?? 0));
  });
  const first = run[0];
  if (!disjoint || first === undefined || run.length === 1) return run.map((x) => ({ members: [x.i], e: x.e }));
  const write: SeriesWrite = { eventId: first.e.write.eventId, holder: first.e.write.holder, deltaTimes: [], rows: [] };
  for (const x of byStart) {
    write.deltaTimes.push(...x.e.write.deltaTimes);
    write.rows.push(...x.e.write.rows);
  }
  return [{ members: byStart.map((x) => x.i), e: { userId: first.e.userId, write } }];
}

/**
 * One series_put_many() round trip for `entries` (autocommit: written = committed); the status of
 * each entry in the given order. Entries go sorted by (user, event) so groups lock in one order.
 */
export async function putMany(db: Db, entries: PutEntry[]): Promise<number[]> {
  const keyOf = (e: PutEntry): string => `${e.userId}\u0000${e.write.eventId}`;
  const sorted = entries.map((e, i) => ({ i, e })).sort((a, b) => {
    const ka = keyOf(a.e);
    const kb = keyOf(b.e);
    return ka < kb ? -1 : ka > kb ? 1 : a.i - b.i;
  });
  const calls: { members: number[]; e: PutEntry }[] = [];
  for (let k = 0; k < sorted.length; ) {
    let end = k + 1;
    while (end < sorted.length && keyOf((sorted[end] as { e: PutEntry }).e) === keyOf((sorted[k] as { e: PutEntry }).e)) end += 1;
    calls.push(...coalesce(sorted.slice(k, end)));
    k = end;
  }
  const a = { user: [] as string[], event: [] as string[], type: [] as (string | null)[], time: [] as (number | null)[], streams: [] as (string | null)[] };
  const c = { first: [] as number[], count: [] as number[], tMin: [] as number[], tMax: [] as number[], n: [] as number[], points: [] as string[] };
  for (const { e } of calls) {
    const chunks = toChunks(e.write.deltaTimes, e.write.rows);
    const h = e.write.holder;
    a.user.push(e.userId);
    a.event.push(e.write.eventId);
    a.type.push(h?.type ?? null);
    a.time.push(h?.time ?? null);
    a.streams.push(h === undefined ? null : h.streamIds.join('\u001f'));
    c.first.push(c.tMin.length + 1);
    c.count.push(chunks.length);
    for (const ch of chunks) {
      c.tMin.push(ch.tMin);
      c.tMax.push(ch.tMax);
      c.n.push(ch.rows.length);
      c.points.push(ch.rows.join(','));
    }
  }
  const { rows } = await db.query<{ s: number[] }>('SELECT series_put_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS s', [
    a.user, a.event, a.type, a.time, a.streams, c.first, c.count, c.tMin, c.tMax, c.n, c.points, CHUNK_POINTS,
  ]);
  const statuses = rows[0]?.s ?? [];
  const out = new Array<number>(entries.length).fill(OVERLAPS);
  calls.forEach((call, k) => {
    for (const i of call.members) out[i] = statuses[k] ?? OVERLAPS;
  });
  return out;
}

/** Groups written at once per worker (see SeriesGroupCommit). */
export const GROUPS_IN_FLIGHT = 4;

interface Waiting {
  entry: PutEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Application-level group commit (issue #10): single-series writes wait while `maxInFlight` groups
 * are being written (4: one group alone would run every series write of the worker on one
 * PostgreSQL backend, one core, and measured slower than no grouping on this 2-core machine; up to
 * 4 concurrent writes go at once as without grouping, more are grouped), then go together in one series_put_many() statement and one commit. The first
 * write of a quiet worker goes at once (no timer); under load the group grows by itself. Every
 * caller is answered after its group's statement returned, i.e. after the commit. Entries the
 * statement did not write (points inside stored chunks, or behind such an entry of their series) are
 * then applied one by one in the order they came, by `merge` (a transaction each), before the next
 * group goes: writes sent together keep their order. A stale holder rejects with StaleHolderError.
 */
export class SeriesGroupCommit {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  /** Groups written and entries in them, and group statements that failed (tests, docs/benchmarks.md). */
  groups = 0;
  entries = 0;
  failed = 0;

  constructor(
    private readonly db: Db,
    private readonly merge: (entry: PutEntry) => Promise<void>,
    private readonly maxInFlight = GROUPS_IN_FLIGHT,
    private readonly maxPoints = 20 * CHUNK_POINTS,
  ) {}

  submit(entry: PutEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      let points = 0;
      let k = 0;
      while (k < this.queue.length) {
        const n = (this.queue[k] as Waiting).entry.write.rows.length;
        if (k > 0 && points + n > this.maxPoints) break;
        points += n;
        k += 1;
      }
      const group = this.queue.splice(0, k);
      this.inFlight += 1;
      void this.flush(group).finally(() => {
        this.inFlight -= 1;
        this.kick();
      });
    }
  }

  private async flush(group: Waiting[]): Promise<void> {
    try {
      const statuses = await guardAvailability(() => putMany(this.db, group.map((w) => w.entry)));
      this.groups += 1;
      this.entries += group.length;
      for (const [i, w] of group.entries()) {
        const status = statuses[i] ?? OVERLAPS;
        if (status === WRITTEN) w.resolve();
        else if (status === STALE_HOLDER) w.reject(new StaleHolderError(w.entry.write.eventId));
        else await this.merge(w.entry).then(w.resolve, w.reject);
      }
    } catch (err) {
      this.failed += 1;
      // The statement is atomic: nothing of the group was written. One entry's failure (a foreign
      // key, a bad value) must not fail the others: each is retried alone. An outage fails them all.
      if (group.length > 1 && !(err instanceof StorageUnavailableError)) {
        for (const w of group) await this.flush([w]);
        return;
      }
      for (const w of group) w.reject(err);
    }
  }
}
