import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Event } from '../../../src/domain/types.js';
import type { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import type { PgEventsStore } from '../../../src/storage/engines/postgresql/events-store.js';
import { GROUPS_IN_FLIGHT } from '../../../src/storage/engines/postgresql/series-group.js';
import { PgSeriesStore } from '../../../src/storage/engines/postgresql/series-store.js';
import { MissingReferenceError, StaleHolderError, StorageUnavailableError } from '../../../src/storage/interfaces/errors.js';
import type { HolderFacts, SeriesRange, SeriesWrite } from '../../../src/storage/interfaces/series-store.js';
import { freePort } from '../../helpers/free-port.js';
import { seriesStoreFixture } from './series-store-fixture.js';

/**
 * Group commit of series writes (issue #10, migration 21) and the holder check the store makes for
 * the per-worker holder cache: concurrent writes all kept, in order, a failing entry failing alone
 * and nothing partially applied, stale holder facts refused with nothing written or read.
 */
const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
let store: PgSeriesStore;
let events: PgEventsStore;
const USER = 'user-gc';

function holder(id: string, extra: Partial<Event> = {}): Event {
  return {
    id, streamIds: ['s', 't'], type: 'series:mass/kg', time: 1000, duration: 0, content: null, description: undefined, clientData: undefined,
    attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra,
  };
}
const facts = (e: Event): HolderFacts => ({ type: e.type, time: e.time, streamIds: e.streamIds });

function write(eventId: string, dts: number[], tag: number, h?: HolderFacts): SeriesWrite {
  return { eventId, deltaTimes: dts, rows: dts.map((dt) => JSON.stringify([dt, tag])), ...(h === undefined ? {} : { holder: h }) };
}
const seq = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

let busyAt = 0;
/** Takes every in-flight slot of the store's group commit: the writes sent right after queue into one group. */
async function occupy(): Promise<void> {
  await Promise.all(Array.from({ length: GROUPS_IN_FLIGHT }, () => store.write(USER, [write('busy', [busyAt++], 0)])));
}

async function read(eventId: string, range: SeriesRange = { from: null, to: null }): Promise<number[][]> {
  const pieces: string[] = [];
  for await (const p of store.read(USER, eventId, range)) pieces.push(p);
  return JSON.parse(`[${pieces.join(',')}]`) as number[][];
}

beforeAll(async () => {
  ({ engine, store, events, drop } = await seriesStoreFixture(services, { id: USER, username: 'gc-user' }, ['a', 'b', 'c', 'd', 'e', 'busy', 'order', 'mixed', 'stale', 'trash', 'multi1', 'multi2'].map((id) => holder(id))));
});

afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('group commit', () => {
  it('200 concurrent writes to 5 series: every point kept, in fewer statements than writes', async () => {
    const before = { groups: store.group.groups, entries: store.group.entries };
    const ids = ['a', 'b', 'c', 'd', 'e'];
    // Out of deltaTime order on purpose: concurrent appends land in any order.
    const jobs = Array.from({ length: 200 }, (_, i) => i).sort((x, y) => ((x * 7919) % 200) - ((y * 7919) % 200));
    await Promise.all(jobs.map((i) => store.write(USER, [write(ids[i % 5] ?? 'a', seq(i * 10, 10), i, facts(holder('x')))])));
    for (const [k, id] of ids.entries()) {
      const got = await read(id);
      const want = Array.from({ length: 40 }, (_, j) => j * 5 + k).flatMap((i) => seq(i * 10, 10).map((dt) => [dt, i]));
      expect(got).toEqual(want);
    }
    expect(store.group.entries - before.entries).toBe(200);
    expect(store.group.groups - before.groups).toBeLessThan(200);
  });

  it('writes to one series sent together are applied in the order they were sent: the last wins on a shared deltaTime', async () => {
    // The in-flight slots taken, the next writes queue into one group.
    const busy = occupy();
    const all = [1, 2, 3, 4].map((tag) => store.write(USER, [write('order', tag === 1 ? seq(0, 5) : seq(2, 5), tag)]));
    await Promise.all([busy, ...all]);
    expect(await read('order')).toEqual([[0, 1], [1, 1], ...seq(2, 5).map((dt) => [dt, 4])]);
  });

  it('an entry that fails fails alone: the others of its group are written, it writes nothing', async () => {
    const busy = occupy();
    const before = store.group.failed;
    const results = await Promise.allSettled([
      store.write(USER, [write('mixed', [1, 2], 1)]),
      // No holder facts: the foreign key refuses it, which undoes the group's statement.
      store.write(USER, [write('no-such-holder', [1, 2], 1)]),
      store.write(USER, [write('mixed', [3, 4], 2)]),
    ]);
    await busy;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The three went as one group, which failed; then one by one: only the faulty one failed again.
    expect(store.group.failed - before).toBe(2);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(MissingReferenceError);
    expect(await read('mixed')).toEqual([[1, 1], [2, 1], [3, 2], [4, 2]]);
    const { rows } = await engine.pool.query('SELECT count(*)::int AS n FROM series_chunks WHERE event_id = $1', ['no-such-holder']);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('an outage fails every write of the group with storage-unavailable', async () => {
    const dead = new PgSeriesStore(new pg.Pool({ host: '127.0.0.1', port: await freePort(), user: 'x', database: 'x', connectionTimeoutMillis: 1000 }));
    const results = await Promise.allSettled([1, 2, 3].map((i) => dead.write(USER, [write('a', [100_000 + i], i)])));
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
  });
});

describe('holder facts (the per-worker holder cache)', () => {
  it('facts that match: written and read; facts that do not: StaleHolderError, nothing written, nothing read', async () => {
    const h = facts(holder('stale'));
    await store.write(USER, [write('stale', [0, 1], 1, h)]);
    expect(await read('stale', { from: null, to: null, holder: h })).toEqual([[0, 1], [1, 1]]);
    for (const wrong of [{ ...h, type: 'series:count/generic' }, { ...h, time: 999 }, { ...h, streamIds: ['s'] }, { ...h, streamIds: ['t', 's'] }]) {
      await expect(store.write(USER, [write('stale', [5], 2, wrong)])).rejects.toBeInstanceOf(StaleHolderError);
      // Overlapping points take the merge path: checked there too.
      await expect(store.write(USER, [write('stale', [1], 2, wrong)])).rejects.toBeInstanceOf(StaleHolderError);
      await expect(read('stale', { from: null, to: null, holder: wrong })).rejects.toBeInstanceOf(StaleHolderError);
    }
    expect(await read('stale')).toEqual([[0, 1], [1, 1]]);
  });

  it('a trashed or deleted holder is stale whatever the facts', async () => {
    const h = facts(holder('trash'));
    await store.write(USER, [write('trash', [0], 1, h)]);
    await events.update(USER, 'trash', (e) => ({ ...e, trashed: true }));
    await expect(store.write(USER, [write('trash', [1], 1, h)])).rejects.toBeInstanceOf(StaleHolderError);
    await expect(read('trash', { from: null, to: null, holder: h })).rejects.toBeInstanceOf(StaleHolderError);
    await expect(store.write(USER, [write('never-created', [1], 1, h)])).rejects.toBeInstanceOf(StaleHolderError);
    await expect(read('never-created', { from: null, to: null, holder: h })).rejects.toBeInstanceOf(StaleHolderError);
    expect(await read('trash')).toEqual([[0, 1]]);
  });

  it('a multi-series write with one stale holder writes none of its series', async () => {
    const h = facts(holder('multi1'));
    await expect(store.write(USER, [write('multi1', [0], 1, h), write('multi2', [0], 1, { ...h, time: 1 })])).rejects.toBeInstanceOf(StaleHolderError);
    expect(await read('multi1')).toEqual([]);
    expect(await read('multi2')).toEqual([]);
    await store.write(USER, [write('multi1', [0], 1, h), write('multi2', [0], 1, h)]);
    expect(await read('multi2')).toEqual([[0, 1]]);
  });
});
