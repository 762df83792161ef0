import { beforeAll, describe, expect, it } from 'vitest';
import { MissingReferenceError, TooManyItemsError } from '../../src/storage/interfaces/errors.js';
import type { SeriesRange, SeriesWrite } from '../../src/storage/interfaces/series-store.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { engines } from './engines.js';
import { event, freshStores, user } from './items.js';

/**
 * SeriesStore against every engine (Pryv API §5): points kept per holder event in ascending
 * deltaTime, ranges [from, to), overwrites, interleaved and concurrent writes, all-or-nothing
 * batches, the point limit, and more points than one chunk or one read batch holds.
 */
const U = 'user-series';

/** Points `[dt, value(dt)]` at the given deltaTimes (ascending). */
function points(eventId: string, deltaTimes: number[], value: (dt: number) => number = (dt) => dt * 10): SeriesWrite {
  return { eventId, deltaTimes, rows: deltaTimes.map((dt) => JSON.stringify([dt, value(dt)])) };
}

const range = (from: number | null, to: number | null, maxPoints?: number): SeriesRange => ({ from, to, ...(maxPoints === undefined ? {} : { maxPoints }) });

async function read(stores: Stores, eventId: string, r: SeriesRange = range(null, null), userId = U): Promise<number[][]> {
  const pieces: string[] = [];
  for await (const piece of stores.series.read(userId, eventId, r)) pieces.push(piece);
  expect(pieces.every((p) => p.length > 0)).toBe(true);
  return JSON.parse(`[${pieces.join(',')}]`) as number[][];
}

const seq = (from: number, count: number, step = 1): number[] => Array.from({ length: count }, (_, i) => from + i * step);

describe.each(engines)('series store: $name', (fixture) => {
  const s = freshStores(fixture, [user(U), user('user-series-2')]);
  beforeAll(async () => {
    for (const id of ['h1', 'h2', 'h3', 'big', 'many', 'race', 'limit']) await s.get().events.create(U, event(id, { type: 'series:mass/kg', content: null }));
    await s.get().events.create('user-series-2', event('h1', { type: 'series:mass/kg', content: null }));
  });

  it('an empty series reads nothing and has no max deltaTime', async () => {
    expect(await read(s.get(), 'h1')).toEqual([]);
    expect(await s.get().series.maxDeltaTime(U, 'h1')).toBeNull();
  });

  it('writes and reads points ascending; per user', async () => {
    const stores = s.get();
    await stores.series.write(U, [points('h1', [0, 1.5, 3])]);
    expect(await read(stores, 'h1')).toEqual([[0, 0], [1.5, 15], [3, 30]]);
    expect(await stores.series.maxDeltaTime(U, 'h1')).toBe(3);
    expect(await read(stores, 'h1', range(null, null), 'user-series-2')).toEqual([]);
  });

  it('ranges: from inclusive, to exclusive, either open', async () => {
    const stores = s.get();
    expect(await read(stores, 'h1', range(1.5, 3))).toEqual([[1.5, 15]]);
    expect(await read(stores, 'h1', range(1.5, null))).toEqual([[1.5, 15], [3, 30]]);
    expect(await read(stores, 'h1', range(null, 1.5))).toEqual([[0, 0]]);
    expect(await read(stores, 'h1', range(4, 10))).toEqual([]);
    expect(await read(stores, 'h1', range(1, 1))).toEqual([]);
  });

  it('a point at a stored deltaTime replaces it; interleaved writes merge in order', async () => {
    const stores = s.get();
    await stores.series.write(U, [points('h2', seq(0, 50, 2))]);
    await stores.series.write(U, [points('h2', seq(1, 50, 2))]);
    await stores.series.write(U, [points('h2', [10, 11, 200], () => -1)]);
    const expected = seq(0, 100).map((dt) => [dt, dt * 10]);
    expected[10] = [10, -1];
    expected[11] = [11, -1];
    expect(await read(stores, 'h2')).toEqual([...expected, [200, -1]]);
    expect(await stores.series.maxDeltaTime(U, 'h2')).toBe(200);
  });

  it('more points than a chunk holds: every range reads exactly its points', async () => {
    const stores = s.get();
    const all = seq(0, 3500);
    for (let i = 0; i < all.length; i += 700) await stores.series.write(U, [points('big', all.slice(i, i + 700))]);
    // Overwrites across a chunk boundary, then more interleaved points.
    await stores.series.write(U, [points('big', seq(990, 30), (dt) => -dt)]);
    await stores.series.write(U, [points('big', seq(1500.5, 600), (dt) => dt)]);
    const value = (dt: number): number => (dt >= 990 && dt < 1020 ? -dt : Number.isInteger(dt) ? dt * 10 : dt);
    const stored = [...all, ...seq(1500.5, 600)].sort((a, b) => a - b);
    expect((await read(stores, 'big')).map(([dt]) => dt)).toEqual(stored);
    for (const [from, to] of [[999.5, 2500], [0, 1], [1500, 1501], [2099.5, 2100.5], [3499, 4000]] as const) {
      expect(await read(stores, 'big', range(from, to))).toEqual(stored.filter((dt) => dt >= from && dt < to).map((dt) => [dt, value(dt)]));
    }
    expect(await stores.series.maxDeltaTime(U, 'big')).toBe(3499);
  });

  it('many small appends: every point, in order, and ranges across them', async () => {
    const stores = s.get();
    for (let i = 0; i < 130; i += 1) await stores.series.write(U, [points('many', seq(i * 3, 3))]);
    expect((await read(stores, 'many')).map(([dt]) => dt)).toEqual(seq(0, 390));
    expect((await read(stores, 'many', range(100, 300))).map(([dt]) => dt)).toEqual(seq(100, 200));
  });

  it('several series in one write: all or nothing (a missing holder writes none)', async () => {
    const stores = s.get();
    await stores.series.write(U, [points('h3', [1, 2]), points('h1', [4])]);
    expect(await read(stores, 'h3')).toEqual([[1, 10], [2, 20]]);
    expect(await read(stores, 'h1', range(4, null))).toEqual([[4, 40]]);
    const err = await stores.series.write(U, [points('h3', [5]), points('no-such-holder', [1])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingReferenceError);
    expect(await read(stores, 'h3')).toEqual([[1, 10], [2, 20]]);
    // An empty write is a no-op.
    await stores.series.write(U, [{ eventId: 'h3', deltaTimes: [], rows: [] }]);
    await stores.series.write(U, []);
    expect(await read(stores, 'h3')).toEqual([[1, 10], [2, 20]]);
  });

  it('concurrent writers to one series lose no point', async () => {
    const stores = s.get();
    await Promise.all(Array.from({ length: 10 }, (_, w) => stores.series.write(U, [points('race', seq(w, 40, 10))])));
    expect((await read(stores, 'race')).map(([dt]) => dt)).toEqual(seq(0, 400));
  });

  it('maxPoints: a range with more points is refused before the first piece; exactly max is read', async () => {
    const stores = s.get();
    await stores.series.write(U, [points('limit', seq(0, 2500))]);
    const refused = await read(stores, 'limit', range(0, 2001, 2000)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyItemsError);
    expect(refused).toMatchObject({ limit: 2000, count: 2001 });
    expect(await read(stores, 'limit', range(0, 2000, 2000))).toHaveLength(2000);
    expect(await read(stores, 'limit', range(2400, null, 100))).toHaveLength(100);
    expect(await read(stores, 'limit', range(null, null, null))).toHaveLength(2500);
  });
});
