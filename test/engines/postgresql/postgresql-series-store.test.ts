import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Event } from '../../../src/domain/types.js';
import type { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import type { PgEventsStore } from '../../../src/storage/engines/postgresql/events-store.js';
import { CHUNK_POINTS, PgSeriesStore } from '../../../src/storage/engines/postgresql/series-store.js';
import { MissingReferenceError } from '../../../src/storage/interfaces/errors.js';
import type { SeriesRange } from '../../../src/storage/interfaces/series-store.js';
import { seriesStoreFixture } from './series-store-fixture.js';

/**
 * The chunked series layout against a plain model (a Map deltaTime → row): appends, overwrites in
 * the middle of stored chunks, gaps, concurrent writers, range edges, and the cascade on deletion.
 */
const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
let store: PgSeriesStore;
let events: PgEventsStore;
const USER = 'user-1';

function holder(id: string): Event {
  return {
    id, streamIds: ['s'], type: 'series:mass/kg', time: 0, duration: 0, content: null, description: undefined, clientData: undefined,
    attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a',
  };
}

/** A write of `dts` (any order, duplicates: last wins) with value `tag`, as the API layer hands it over. */
function write(eventId: string, dts: number[], tag: number) {
  const m = new Map<number, string>();
  for (const dt of dts) m.set(dt, JSON.stringify([dt, tag]));
  const sorted = [...m.keys()].sort((a, b) => a - b);
  return { eventId, deltaTimes: sorted, rows: sorted.map((dt) => m.get(dt) ?? '') };
}

async function read(eventId: string, range: SeriesRange = { from: null, to: null }): Promise<unknown[][]> {
  const pieces: string[] = [];
  for await (const p of store.read(USER, eventId, range)) {
    expect(p).not.toBe('');
    pieces.push(p);
  }
  return JSON.parse(`[${pieces.join(',')}]`) as unknown[][];
}

async function chunks(eventId: string): Promise<{ t_min: number; t_max: number; n: number }[]> {
  const { rows } = await engine.pool.query<{ t_min: number; t_max: number; n: number }>(
    'SELECT t_min, t_max, n FROM series_chunks WHERE user_id = $1 AND event_id = $2 ORDER BY t_min',
    [USER, eventId],
  );
  return rows;
}

/** Chunks are disjoint, ordered, and their counts add up to the points read. */
async function expectInvariants(eventId: string, expectedPoints: number): Promise<void> {
  const list = await chunks(eventId);
  for (let i = 1; i < list.length; i += 1) expect(list[i]?.t_min).toBeGreaterThan(list[i - 1]?.t_max ?? Number.POSITIVE_INFINITY);
  expect(list.reduce((s, c) => s + c.n, 0)).toBe(expectedPoints);
}

// A small deterministic PRNG, so a failure replays.
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

beforeAll(async () => {
  ({ engine, store, events, drop } = await seriesStoreFixture(services, { id: USER, username: 'series-user' }, ['append', 'model', 'small', 'tiers', 'conc', 'conc2', 'edges', 'gone'].map((id) => holder(id))));
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('PgSeriesStore', () => {
  it('appends 1000-point writes as one chunk each and reads them back in order', async () => {
    for (let b = 0; b < 3; b += 1) await store.write(USER, [write('append', Array.from({ length: CHUNK_POINTS }, (_, i) => b * CHUNK_POINTS + i), b)]);
    const points = await read('append');
    expect(points).toHaveLength(3 * CHUNK_POINTS);
    expect(points.map((p) => p[0])).toEqual(Array.from({ length: 3 * CHUNK_POINTS }, (_, i) => i));
    expect((await chunks('append')).map((c) => c.n)).toEqual([CHUNK_POINTS, CHUNK_POINTS, CHUNK_POINTS]);
    expect(await store.maxDeltaTime(USER, 'append')).toBe(3 * CHUNK_POINTS - 1);
    expect(await store.maxDeltaTime(USER, 'model')).toBeNull();
  });

  it('fills the last chunk with small writes instead of adding tiny rows', async () => {
    for (let i = 0; i < 50; i += 1) await store.write(USER, [write('small', [i * 2, i * 2 + 1], i)]);
    expect(await chunks('small')).toEqual([{ t_min: 0, t_max: 99, n: 100 }]);
    expect((await read('small')).map((p) => p[0])).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('appends small writes into small chunks, ten of which become one: no append rewrites a big chunk', async () => {
    const small = CHUNK_POINTS / 10;
    const sizes: number[][] = [];
    for (let w = 0; w < 301; w += 1) {
      await store.write(USER, [write('tiers', Array.from({ length: 10 }, (_, i) => w * 10 + i), w)]);
      sizes.push((await chunks('tiers')).map((c) => c.n));
    }
    // Every chunk is small, or a merge of ten small ones; a big one never grows afterwards.
    for (const list of sizes) for (const n of list) expect(n <= small || n === CHUNK_POINTS).toBe(true);
    for (let w = 1; w < sizes.length; w += 1) {
      const [before, after] = [sizes[w - 1] ?? [], sizes[w] ?? []];
      before.forEach((n, i) => {
        if (n === CHUNK_POINTS) expect(after[i]).toBe(CHUNK_POINTS);
      });
    }
    // 3,010 points: two merged chunks, ten full small ones waiting for the next write, and its own.
    expect(sizes.at(-2)).toEqual([CHUNK_POINTS, CHUNK_POINTS, ...Array.from({ length: 10 }, () => small)]);
    expect(sizes.at(-1)).toEqual([CHUNK_POINTS, CHUNK_POINTS, CHUNK_POINTS, 10]);
    expect((await read('tiers')).map((p) => p[0])).toEqual(Array.from({ length: 3010 }, (_, i) => i));
    expect((await read('tiers', { from: 995, to: 2005 })).map((p) => p[0])).toEqual(Array.from({ length: 1010 }, (_, i) => 995 + i));
    await expectInvariants('tiers', 3010);
  });

  it('matches a plain model under random overlapping, interleaved and gap writes', async () => {
    const rnd = prng(42);
    const model = new Map<number, number>();
    for (let w = 0; w < 60; w += 1) {
      const size = rnd() < 0.2 ? 1500 + Math.floor(rnd() * 1500) : 1 + Math.floor(rnd() * 200);
      const base = Math.floor(rnd() * 20_000);
      const spread = rnd() < 0.5 ? 1 : 1 + Math.floor(rnd() * 30);
      const dts = Array.from({ length: size }, () => (base + Math.floor(rnd() * size * spread)) / 4);
      await store.write(USER, [write('model', dts, w)]);
      for (const dt of dts) model.set(dt, w);
    }
    const expected = [...model.entries()].sort((a, b) => a[0] - b[0]).map(([dt, w]) => [dt, w]);
    expect(await read('model')).toEqual(expected);
    await expectInvariants('model', expected.length);
    for (let q = 0; q < 20; q += 1) {
      const from = Math.floor(rnd() * 25_000) / 4;
      const to = from + Math.floor(rnd() * 5000) / 4;
      expect(await read('model', { from, to })).toEqual(expected.filter(([dt]) => (dt as number) >= from && (dt as number) < to));
    }
    expect(await store.maxDeltaTime(USER, 'model')).toBe(expected.at(-1)?.[0]);
  });

  it('range edges: from inclusive, to exclusive, either unbounded', async () => {
    await store.write(USER, [write('edges', Array.from({ length: 2500 }, (_, i) => i), 1)]);
    const dts = async (r: SeriesRange) => (await read('edges', r)).map((p) => p[0]);
    expect(await dts({ from: 999, to: 1001 })).toEqual([999, 1000]);
    expect(await dts({ from: 2498, to: null })).toEqual([2498, 2499]);
    expect(await dts({ from: null, to: 2 })).toEqual([0, 1]);
    expect(await dts({ from: 5000, to: null })).toEqual([]);
    expect(await dts({ from: 10, to: 10 })).toEqual([]);
    expect(await dts({ from: -5, to: 0.5 })).toEqual([0]);
  });

  it('serialises concurrent writers to one series; multi-series batches do not deadlock', async () => {
    const writes = Array.from({ length: 12 }, (_, w) => {
      // Overlapping ranges: every writer covers [w*50, w*50+300) with its own tag.
      const dts = Array.from({ length: 300 }, (_, i) => w * 50 + i);
      return { w, dts };
    });
    await Promise.all(
      writes.map(({ w, dts }) => store.write(USER, w % 2 === 0 ? [write('conc', dts, w), write('conc2', dts, w)] : [write('conc2', dts, w), write('conc', dts, w)])),
    );
    for (const id of ['conc', 'conc2']) {
      const points = await read(id);
      expect(points.map((p) => p[0])).toEqual(Array.from({ length: 11 * 50 + 300 }, (_, i) => i));
      // Each value comes from one of the writers that covered that deltaTime.
      for (const [dt, w] of points as [number, number][]) expect(dt >= w * 50 && dt < w * 50 + 300).toBe(true);
      await expectInvariants(id, points.length);
    }
  });

  it('a holder deleted for good takes its points with it', async () => {
    await store.write(USER, [write('gone', [1, 2, 3], 1)]);
    await events.delete(USER, 'gone', 10);
    expect(await chunks('gone')).toEqual([]);
    await events.create(USER, holder('gone'));
    expect(await read('gone')).toEqual([]);
  });

  it('reads and counts through named statements whose generic plan PostgreSQL keeps (planned once per connection)', async () => {
    if ((await chunks('append')).length === 0) await store.write(USER, [write('append', Array.from({ length: 3 * CHUNK_POINTS }, (_, i) => i), 0)]);
    // One connection, so its prepared statements can be read back from it.
    const client = await engine.pool.connect();
    try {
      const oneConnection = new PgSeriesStore(client);
      const holderFacts = { type: 'series:mass/kg', time: 0, streamIds: ['s'] };
      const drain = async (range: SeriesRange): Promise<number> => {
        let n = 0;
        for await (const piece of oneConnection.read(USER, 'append', range)) n += piece.length;
        return n;
      };
      for (let i = 0; i < 8; i += 1) {
        // Different values each time: a plan that depended on them would be planned again.
        expect(await drain({ from: i, to: 2990 - i })).toBeGreaterThan(0);
        expect(await drain({ from: i, to: null, holder: holderFacts })).toBeGreaterThan(0);
        // Edges cut inside the first and last chunks, more than maxPoints by chunk sizes: counted exactly.
        expect(await drain({ from: 10 + i, to: 2990 - i, maxPoints: 2990 })).toBeGreaterThan(0);
      }
      const { rows } = await client.query<{ name: string; generic_plans: string; custom_plans: string }>(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'series-%' ORDER BY name",
      );
      const plans = Object.fromEntries(rows.map((r) => [r.name, { generic: Number(r.generic_plans), custom: Number(r.custom_plans) }]));
      for (const name of ['series-count', 'series-read-first', 'series-read-first-holder']) {
        expect(plans[name], name).toBeDefined();
        // PostgreSQL tries custom plans for the first five executions, then keeps the generic one.
        expect(plans[name]?.generic, name).toBeGreaterThanOrEqual(3);
      }
    } finally {
      client.release();
    }
  });

  it('a write for a holder that no longer exists fails with MissingReferenceError, writing nothing', async () => {
    await expect(store.write(USER, [write('never-created', [1], 1)])).rejects.toBeInstanceOf(MissingReferenceError);
    await expect(store.write(USER, [write('edges', [5000], 1), write('never-created', [1], 1)])).rejects.toBeInstanceOf(MissingReferenceError);
    expect(await read('edges', { from: 5000, to: null })).toEqual([]);
  });
});
