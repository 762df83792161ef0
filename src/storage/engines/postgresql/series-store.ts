import { MissingReferenceError, StaleHolderError, TooManyItemsError } from '../../interfaces/errors.js';
import type { HolderFacts, SeriesRange, SeriesStore, SeriesWrite } from '../../interfaces/series-store.js';
import { OVERLAPS, putMany, SeriesGroupCommit, STALE_HOLDER } from './series-group.js';
import { inTransaction, type Db } from './db.js';
import { num } from './rows.js';
import { guardAvailability } from './unavailable.js';
import { CHUNK_POINTS, mergeRows, sliceRows, toChunks, type Chunk } from '../../series-chunks.js';

export { CHUNK_POINTS, mergeRows, sliceRows, toChunks };

/**
 * Layout (migration 7): points in disjoint chunks of up to CHUNK_POINTS, one row each, holding the
 * chunk's rows as JSON text. Appends (the usual case: sensors write forward in time) cost a share
 * of one `series_put_many()` round trip (group commit, series-group.ts); points landing inside
 * stored chunks are merged here, under the same per-series advisory lock, rewriting only the chunks
 * they fall in. Writes and reads that carry holder facts are checked against the stored holder in
 * the same statement (checksHolders: src/api/series/holder-cache.ts).
 */

/** Chunks fetched per round trip while reading (≈ 100 000 points). */
const READ_BATCH = 100;

/** The stored holder still has the facts a caller checked: $1 user, $2 event, $k… type, time, stream ids joined by U+001F. */
function holderMatch(k: number): string {
  return `e.user_id = $1 AND e.id = $2 AND NOT e.trashed AND e.type = $${k} AND e.time = $${k + 1} AND array_to_string(e.stream_ids, chr(31)) = $${k + 2}`;
}

function holderParams(h: HolderFacts): [string, number, string] {
  return [h.type, h.time, h.streamIds.join('\u001f')];
}

const LOCK = `SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))`;

function chunkParams(chunks: Chunk[]): [number[], number[], number[], string[]] {
  return [chunks.map((c) => c.tMin), chunks.map((c) => c.tMax), chunks.map((c) => c.rows.length), chunks.map((c) => c.rows.join(','))];
}

/**
 * One batch of a series read: the chunks overlapping [from, to) after `after` (null: the first
 * batch, which starts at the chunk holding `from` and carries the holder check when there is one).
 * Named, so PostgreSQL plans each of the three shapes once per connection instead of on every read
 * (0.19 ms of planning for 0.11 ms of execution per 1,000-point read, pg_stat_statements): whatever
 * the values, the one good plan is a walk of the primary key (user, event, t_min), so the generic
 * plan is that one. The LIMIT is our constant, written as a number (as a parameter a generic plan
 * estimates it at a tenth of the table's rows).
 */
function readStatement(userId: string, eventId: string, from: number, to: number, after: number | null, check: HolderFacts | undefined): { name: string; text: string; values: unknown[] } {
  const values: unknown[] = [userId, eventId, from, to];
  let columns = 't_min, t_max, n, points';
  let where = 'user_id = $1 AND event_id = $2 AND t_max >= $3 AND t_min < $4';
  if (after === null) {
    // Start at the chunk holding `from` (chunks are disjoint): an index seek, not a scan from 0.
    where += ` AND t_min >= coalesce((SELECT t_min FROM series_chunks WHERE user_id = $1 AND event_id = $2 AND t_min <= $3
                                      ORDER BY t_min DESC LIMIT 1), '-Infinity'::float8)`;
  } else {
    values.push(after);
    where += ' AND t_min > $5';
  }
  if (check !== undefined) {
    // The holder check rides on the first query as an InitPlan (run once; the chunk scan keeps its plan).
    columns += `, (SELECT EXISTS (SELECT 1 FROM events e WHERE ${holderMatch(values.length + 1)})) AS ok`;
    values.push(...holderParams(check));
  }
  const name = `series-read-${after === null ? 'first' : 'next'}${check === undefined ? '' : '-holder'}`;
  return { name, text: `SELECT ${columns} FROM series_chunks WHERE ${where} ORDER BY t_min LIMIT ${READ_BATCH}`, values };
}

/** Stored chunk text → its rows as [deltaTime, JSON text]. */
function parseRows(points: string): [number, string][] {
  return (JSON.parse(`[${points}]`) as unknown[][]).map((r) => [Number(r[0]), JSON.stringify(r)]);
}

export class PgSeriesStore implements SeriesStore {
  readonly checksHolders = true;

  /** Single-series writes of concurrent requests, written together (migration 21); public for its counters. */
  readonly group: SeriesGroupCommit;

  constructor(private readonly db: Db) {
    this.group = new SeriesGroupCommit(db, (e) => this.mergeAlone(e.userId, e.write));
  }

  async write(userId: string, entries: SeriesWrite[]): Promise<void> {
    const list = entries.filter((e) => e.rows.length > 0);
    const only = list[0];
    if (only === undefined) return;
    await guardAvailability(async () => {
      if (list.length === 1) {
        // Group commit: one statement for the concurrent writes; a merge in a transaction only if needed.
        await this.group.submit({ userId, write: only });
        return;
      }
      await inTransaction(this.db, async (c) => {
        const statuses = await putMany(c, list.map((write) => ({ userId, write })));
        const stale = list.find((_, i) => statuses[i] === STALE_HOLDER);
        if (stale !== undefined) throw new StaleHolderError(stale.eventId);
        // In event id order, as putMany locked them.
        const rest = list.filter((_, i) => statuses[i] === OVERLAPS).sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
        for (const e of rest) await this.merge(c, userId, e);
      });
    }).catch((err: unknown) => {
      // The holder was deleted between the caller's check and this write (foreign key).
      if ((err as { code?: unknown }).code === '23503') throw new MissingReferenceError('eventId');
      throw err;
    });
  }

  private async mergeAlone(userId: string, e: SeriesWrite): Promise<void> {
    await guardAvailability(() => inTransaction(this.db, (c) => this.merge(c, userId, e))).catch((err: unknown) => {
      if ((err as { code?: unknown }).code === '23503') throw new MissingReferenceError('eventId');
      throw err;
    });
  }

  /** Inside a transaction: merges the points into the chunks they fall in; the rest become new chunks. */
  private async merge(db: Db, userId: string, e: SeriesWrite): Promise<void> {
    if (e.holder !== undefined) {
      const { rows } = await db.query(`SELECT 1 FROM events e WHERE ${holderMatch(3)}`, [userId, e.eventId, ...holderParams(e.holder)]);
      if (rows.length === 0) throw new StaleHolderError(e.eventId);
    }
    await db.query(LOCK, [userId, e.eventId]);
    const lo = e.deltaTimes[0] ?? 0;
    const hi = e.deltaTimes[e.deltaTimes.length - 1] ?? 0;
    const { rows: spans } = await db.query<{ t_min: number; t_max: number }>(
      `SELECT t_min, t_max FROM series_chunks WHERE user_id = $1 AND event_id = $2 AND t_min <= $4
         AND t_min >= coalesce((SELECT t_min FROM series_chunks WHERE user_id = $1 AND event_id = $2 AND t_min <= $3
                                ORDER BY t_min DESC LIMIT 1), '-Infinity'::float8)
       ORDER BY t_min`,
      [userId, e.eventId, lo, hi],
    );
    // Each new point goes to the stored chunk whose range holds it (keyed by its t_min), or to the
    // gap it falls in (keyed by the index of the chunk after that gap).
    const into = new Map<number, [number, string][]>();
    const gaps = new Map<number, [number, string][]>();
    let j = 0;
    e.deltaTimes.forEach((dt, i) => {
      while (j < spans.length && num(spans[j]?.t_max) < dt) j += 1;
      const span = spans[j];
      const inChunk = span !== undefined && num(span.t_min) <= dt;
      const [target, key] = inChunk ? [into, num(span.t_min)] : [gaps, j];
      const list = target.get(key) ?? [];
      list.push([dt, e.rows[i] ?? '']);
      target.set(key, list);
    });
    const chunks: Chunk[] = [];
    if (into.size > 0) {
      const { rows: stored } = await db.query<{ t_min: number; points: string }>(
        'DELETE FROM series_chunks WHERE user_id = $1 AND event_id = $2 AND t_min = ANY($3::float8[]) RETURNING t_min, points',
        [userId, e.eventId, [...into.keys()]],
      );
      for (const s of stored) {
        const merged = mergeRows(parseRows(s.points), into.get(num(s.t_min)) ?? []);
        // A chunk may grow to twice the target before it is split, so overwrites do not fragment it.
        const max = merged.length > 2 * CHUNK_POINTS ? CHUNK_POINTS : merged.length;
        chunks.push(...toChunks(merged.map((r) => r[0]), merged.map((r) => r[1]), max));
      }
    }
    for (const run of gaps.values()) chunks.push(...toChunks(run.map((r) => r[0]), run.map((r) => r[1])));
    const [tMin, tMax, n, points] = chunkParams(chunks);
    await db.query(
      `INSERT INTO series_chunks (user_id, event_id, t_min, t_max, n, points)
       SELECT $1, $2, u.a, u.b, u.c, u.d FROM unnest($3::float8[], $4::float8[], $5::int[], $6::text[]) AS u (a, b, c, d)`,
      [userId, e.eventId, tMin, tMax, n, points],
    );
  }

  async *read(userId: string, eventId: string, range: SeriesRange): AsyncIterable<string> {
    const from = range.from ?? Number.NEGATIVE_INFINITY;
    const to = range.to ?? Number.POSITIVE_INFINITY;
    let after: number | null = null;
    for (;;) {
      const check = after === null ? range.holder : undefined;
      const { rows } = await guardAvailability(() =>
        this.db.query<{ ok?: boolean; t_min: number; t_max: number; n: number; points: string }>(readStatement(userId, eventId, from, to, after, check)),
      );
      if (check !== undefined && (rows[0]?.ok ?? (await this.holderMatches(userId, eventId, check))) !== true) throw new StaleHolderError(eventId);
      if (after === null && range.maxPoints !== undefined && range.maxPoints !== null) {
        await this.checkCount(userId, eventId, from, to, range.maxPoints, rows);
      }
      for (const r of rows) {
        if (num(r.t_min) >= from && num(r.t_max) < to) {
          yield r.points;
          continue;
        }
        const inside = sliceRows(r.points, from, to);
        if (inside !== '') yield inside;
      }
      const tail = rows[rows.length - 1];
      if (rows.length < READ_BATCH || tail === undefined) return;
      after = num(tail.t_min);
    }
  }

  /**
   * Refuses a range holding more than `max` points before anything is sent. The first batch tells
   * whether it can: its chunk sizes bound the count from above (edge chunks count whole), and when
   * it is complete and under `max`, no query is needed. Otherwise one more query counts exactly:
   * whole chunks by their `n`, the (at most two) edge chunks by slicing them.
   */
  private async checkCount(userId: string, eventId: string, from: number, to: number, max: number, first: { n: number }[]): Promise<void> {
    const upper = first.reduce((sum, r) => sum + num(r.n), 0);
    if (first.length < READ_BATCH && upper <= max) return;
    const { rows } = await guardAvailability(() =>
      // Named, as the reads are (readStatement): one plan, the primary key's range.
      this.db.query<{ inner: string | null; edges: string[] | null }>({
        name: 'series-count',
        text: `SELECT sum(n) FILTER (WHERE t_min >= $3 AND t_max < $4) AS inner,
                      array_agg(points) FILTER (WHERE NOT (t_min >= $3 AND t_max < $4)) AS edges
               FROM series_chunks WHERE user_id = $1 AND event_id = $2 AND t_max >= $3 AND t_min < $4`,
        values: [userId, eventId, from, to],
      }),
    );
    const row = rows[0];
    let count = Number(row?.inner ?? 0);
    for (const text of row?.edges ?? []) {
      const inside = sliceRows(text, from, to);
      if (inside !== '') count += (JSON.parse(`[${inside}]`) as unknown[]).length;
    }
    if (count > max) throw new TooManyItemsError(max, count);
  }

  /** The holder check alone, for a first read that found no chunk to carry it. */
  private async holderMatches(userId: string, eventId: string, h: HolderFacts): Promise<boolean> {
    const { rows } = await guardAvailability(() =>
      this.db.query<{ ok: boolean }>(`SELECT EXISTS (SELECT 1 FROM events e WHERE ${holderMatch(3)}) AS ok`, [userId, eventId, ...holderParams(h)]),
    );
    return rows[0]?.ok === true;
  }

  async maxDeltaTime(userId: string, eventId: string): Promise<number | null> {
    const { rows } = await guardAvailability(() =>
      this.db.query<{ t_max: number }>('SELECT t_max FROM series_chunks WHERE user_id = $1 AND event_id = $2 ORDER BY t_min DESC LIMIT 1', [
        userId,
        eventId,
      ]),
    );
    return rows[0] === undefined ? null : num(rows[0].t_max);
  }
}
