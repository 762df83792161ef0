import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Services } from '../../src/api/context.js';
import type { Config } from '../../src/config/index.js';
import { buildHfsApp } from '../../src/http/role-apps.js';
import { accessIds, APPS, call, changes, event, flat, holder, points, readiness, t, tokens, u, useSeriesFixture, write } from '../helpers/series-fixture.js';

/**
 * High-frequency series (Pryv API §5, issue #4) on both apps that serve them (test/helpers/series-fixture.ts):
 * round trips, batches, permissions, concurrent writers, holder metadata. Errors: test/engines/postgresql/series-errors.test.ts.
 */
useSeriesFixture();

describe.each(APPS)('round trips on the %s app', (app) => {
  it('deltaTime points: 200 {status: ok, meta}, read back ascending with values coerced', async () => {
    const id = await holder();
    const res = await call(app, 'POST', `events/${id}/series`, { payload: flat(['deltaTime', 'value'], [[0, 70.1], [1, 70.2], [2.5, '70.3']]) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', meta: expect.objectContaining({ serverTime: expect.any(Number) }) });
    const read = await points(app, id);
    expect(read).toMatchObject({ format: 'flatJSON', fields: ['deltaTime', 'value'], points: [[0, 70.1], [1, 70.2], [2.5, 70.3]] });
    expect(read.meta.serverTime).toBeTypeOf('number');
  });

  it('timestamp points are stored relative to the event time', async () => {
    const time = 1_700_000_000;
    const id = await holder('series:mass/kg', { time });
    await write(app, id, flat(['timestamp', 'value'], [[time + 10, 1], [time + 11.5, 2], [time, 0]]));
    expect((await points(app, id)).points).toEqual([[0, 0], [10, 1], [11.5, 2]]);
    const before = await call(app, 'POST', `events/${id}/series`, { payload: flat(['timestamp', 'value'], [[time - 1, 1]]) });
    expect(before.status).toBe(400);
    expect(before.body.error.id).toBe('invalid-request-structure');
  });

  it('object types: fields in any order, optional ones omitted or null, read in the full layout', async () => {
    const id = await holder('series:position/wgs84');
    const e = await event(id);
    expect(e.content).toEqual({
      elementType: 'position/wgs84',
      fields: ['deltaTime', 'latitude', 'longitude', 'altitude', 'horizontalAccuracy', 'verticalAccuracy', 'speed', 'bearing'],
      required: ['deltaTime', 'latitude', 'longitude'],
    });
    await write(app, id, flat(['longitude', 'deltaTime', 'latitude', 'altitude'], [[6.6, 0, 46.5, 400], [6.7, 1, 46.6, null]]));
    const read = await points(app, id);
    expect(read.fields).toEqual(e.content.fields);
    expect(read.points).toEqual([
      [0, 46.5, 6.6, 400, null, null, null, null],
      [1, 46.6, 6.7, null, null, null, null, null],
    ]);
    for (const bad of [
      flat(['deltaTime', 'latitude'], [[0, 1]]), // longitude is required
      flat(['deltaTime', 'latitude', 'longitude'], [[0, 1, null]]), // required value null
      flat(['deltaTime', 'latitude', 'longitude', 'colour'], [[0, 1, 2, 3]]), // unknown field
    ]) {
      const res = await call(app, 'POST', `events/${id}/series`, { payload: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.id).toBe('invalid-request-structure');
    }
  });

  it('one row per deltaTime: a repeated deltaTime replaces, within a request (last wins) and across requests', async () => {
    const id = await holder();
    await write(app, id, flat(['deltaTime', 'value'], [[2, 1], [0, 1], [1, 1], [5, 1], [5, 2]]));
    await write(app, id, flat(['deltaTime', 'value'], [[1, 9], [3, 9]]));
    expect((await points(app, id)).points).toEqual([[0, 1], [1, 9], [2, 1], [3, 9], [5, 2]]);
  });

  it('range reads: fromDeltaTime inclusive, toDeltaTime exclusive, across chunks', async () => {
    const id = await holder();
    const all = Array.from({ length: 3500 }, (_, i) => [i / 2, i % 7]);
    await write(app, id, flat(['deltaTime', 'value'], all));
    expect((await points(app, id)).points).toEqual(all);
    expect((await points(app, id, '?fromDeltaTime=499.5&toDeltaTime=1000.5')).points).toEqual(all.slice(999, 2001));
    expect((await points(app, id, '?fromDeltaTime=1.7e3')).points).toEqual(all.slice(3400));
    expect((await points(app, id, '?toDeltaTime=1')).points).toEqual(all.slice(0, 2));
    expect((await points(app, id, '?fromDeltaTime=-1.7976931348623157e%2B308&toDeltaTime=0')).points).toEqual([]);
    expect((await points(app, id, '?fromDeltaTime=5000')).points).toEqual([]);
  });

  it('auth from ?auth= and a caller id after the token', async () => {
    const id = await holder();
    const res = await call(app, 'POST', `/${u.username}/events/${id}/series?auth=${tokens['contributor']}`, { who: null, payload: flat(['deltaTime', 'value'], [[0, 1]]) });
    expect(res.status).toBe(200);
    expect(res.headers['pryv-access-id']).toBe(accessIds['contributor']);
    await write(app, id, flat(['deltaTime', 'value'], [[1, 1]]), `${tokens['contributor']} my-sensor`);
    expect((await event(id)).modifiedBy).toBe(`${accessIds['contributor']} my-sensor`);
  });
});

describe('series batch', () => {
  it('writes several series in one call; entries for one holder are applied in order', async () => {
    const [a, b] = [await holder(), await holder('series:position/wgs84')];
    const res = await call('hfs', 'POST', 'series/batch', {
      payload: {
        format: 'seriesBatch',
        data: [
          { eventId: a, data: flat(['deltaTime', 'value'], [[0, 1], [1, 1]]) },
          { eventId: b, data: flat(['deltaTime', 'latitude', 'longitude'], [[0, 46, 6]]) },
          { eventId: a, data: flat(['deltaTime', 'value'], [[1, 2]]) },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect((await points('api', a)).points).toEqual([[0, 1], [1, 2]]);
    expect((await points('api', b)).points).toEqual([[0, 46, 6, null, null, null, null, null]]);
  });

  it.each<[string, string, (ids: { a: string; other: string; plain: string }) => unknown, number, string]>([
    ['2nd entry malformed', 'P', ({ a }) => [{ eventId: a, data: flat(['deltaTime', 'value'], [[9, 9]]) }, { eventId: a, data: flat(['deltaTime', 'value'], [[10, 'x']]) }], 400, 'invalid-request-structure'],
    ['2nd entry not flatJSON', 'P', ({ a }) => [{ eventId: a, data: flat(['deltaTime', 'value'], [[9, 9]]) }, { eventId: a, data: { format: 'csv' } }], 400, 'invalid-request-structure'],
    ['2nd entry without eventId', 'P', ({ a }) => [{ eventId: a, data: flat(['deltaTime', 'value'], [[9, 9]]) }, { data: flat(['deltaTime', 'value'], [[9, 9]]) }], 400, 'invalid-request-structure'],
    ['2nd entry unknown event', 'P', ({ a }) => [{ eventId: a, data: flat(['deltaTime', 'value'], [[9, 9]]) }, { eventId: 'cunknownunknownunknownunk', data: flat(['deltaTime', 'value'], [[9, 9]]) }], 404, 'unknown-resource'],
    ['2nd entry not a series event', 'P', ({ a, plain }) => [{ eventId: a, data: flat(['deltaTime', 'value'], [[9, 9]]) }, { eventId: plain, data: flat(['deltaTime', 'value'], [[9, 9]]) }], 400, 'invalid-operation'],
    ['2nd entry not permitted', 'contributor', ({ a, other }) => [{ eventId: a, data: flat(['deltaTime', 'value'], [[9, 9]]) }, { eventId: other, data: flat(['deltaTime', 'value'], [[9, 9]]) }], 403, 'forbidden'],
  ])('%s: nothing written', async (_name, who, data, status, id) => {
    const a = await holder();
    await write('api', a, flat(['deltaTime', 'value'], [[0, 0]]));
    const other = (await call('api', 'POST', 'events', { payload: { streamIds: ['diary'], type: 'series:mass/kg' } })).body.event.id as string;
    const plain = (await call('api', 'POST', 'events', { payload: { streamIds: ['weight'], type: 'mass/kg', content: 1 } })).body.event.id as string;
    changes.length = 0;
    for (const app of APPS) {
      const res = await call(app, 'POST', 'series/batch', { who, payload: { format: 'seriesBatch', data: data({ a, other, plain }) } });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.id).toBe(id);
      expect(res.body.meta.serverTime).toBeTypeOf('number');
    }
    expect((await points('api', a)).points).toEqual([[0, 0]]);
    expect((await points('api', other)).points).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('refuses a body that is not a series batch', async () => {
    for (const payload of [{ format: 'flatJSON', data: [] }, { format: 'seriesBatch' }, [1, 2]]) {
      const res = await call('api', 'POST', 'series/batch', { payload });
      expect(res.status).toBe(400);
      expect(res.body.error.id).toBe('invalid-request-structure');
    }
  });
});

describe.each(APPS)('permissions on the %s app', (app) => {
  let id: string;
  beforeAll(async () => {
    id = await holder();
  });
  it.each<[string, 'write' | 'read', number, string | null]>([
    ['personal', 'write', 200, null],
    ['personal', 'read', 200, null],
    ['contributor', 'write', 200, null],
    ['contributor', 'read', 200, null],
    ['createOnly', 'write', 200, null],
    ['createOnly', 'read', 403, 'forbidden'],
    ['reader', 'write', 403, 'forbidden'],
    ['reader', 'read', 200, null],
    ['diary', 'write', 403, 'forbidden'],
    ['diary', 'read', 403, 'forbidden'],
    ['expired', 'write', 403, 'forbidden'],
  ])('%s may %s → %i', async (who, op, status, errorId) => {
    const res =
      op === 'write'
        ? await call(app, 'POST', `events/${id}/series`, { who: who === 'personal' ? 'P' : who, payload: flat(['deltaTime', 'value'], [[1, 1]]) })
        : await call(app, 'GET', `events/${id}/series`, { who: who === 'personal' ? 'P' : who });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    if (errorId !== null) expect(res.body.error.id).toBe(errorId);
  });
});

describe('concurrent writers', () => {
  it('10 parallel writes with distinct and overlapping deltaTimes, on both apps: every deltaTime once, from a writer that sent it', async () => {
    const id = await holder();
    // Writer w sends [w*100, w*100+150): 50 deltaTimes shared with writer w+1.
    const writers = Array.from({ length: 10 }, (_, w) => Array.from({ length: 150 }, (_, i) => [w * 100 + i, w]));
    const results = await Promise.all(
      writers.map((pts, w) =>
        w % 2 === 0
          ? call(w % 4 === 0 ? 'api' : 'hfs', 'POST', 'series/batch', { payload: { format: 'seriesBatch', data: [{ eventId: id, data: flat(['deltaTime', 'value'], pts) }] } })
          : call(w % 3 === 0 ? 'api' : 'hfs', 'POST', `events/${id}/series`, { payload: flat(['deltaTime', 'value'], pts) }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const read = (await points('api', id)).points as [number, number][];
    expect(read.map((p) => p[0])).toEqual(Array.from({ length: 9 * 100 + 150 }, (_, i) => i));
    for (const [dt, w] of read) expect(dt >= w * 100 && dt < w * 100 + 150, `${dt} from writer ${w}`).toBe(true);
    expect((await event(id)).duration).toBe(9 * 100 + 149);
  });
});

describe('holder event metadata', () => {
  it('duration follows the largest deltaTime, modified/modifiedBy name the writer, then eventsChanged', async () => {
    const id = await holder();
    const created = await event(id);
    expect(created.duration).toBe(0);
    changes.length = 0;
    await write('hfs', id, flat(['deltaTime', 'value'], [[0, 1], [42.5, 2]]), 'contributor');
    const after = await event(id);
    expect(after).toMatchObject({ duration: 42.5, modifiedBy: accessIds['contributor'], content: created.content });
    expect(after.modified).toBeGreaterThanOrEqual(created.modified);
    expect(changes).toEqual(['eventsChanged']);
    // Points before the largest one leave the duration alone.
    await write('api', id, flat(['deltaTime', 'value'], [[10, 3]]), 'P');
    expect(await event(id)).toMatchObject({ duration: 42.5, modifiedBy: created.createdBy });
  });

  it('updates are coalesced within series.metadataUpdateDelayMs', async () => {
    const app = async (metadataUpdateDelayMs: number) => {
      const seen: string[] = [];
      const config: Readonly<Config> = { ...t.config, series: { ...t.config.series, metadataUpdateDelayMs } };
      const services: Services = { ...t.services, config, notifier: { emit: (_u, change) => seen.push(change) } };
      return { seen, hfs: await buildHfsApp(services, readiness) };
    };
    const post = (hfs: FastifyInstance, id: string, dt: number) =>
      hfs.inject({ method: 'POST', url: `/${u.username}/events/${id}/series`, headers: { authorization: u.token }, payload: flat(['deltaTime', 'value'], [[dt, dt]]) });
    const id = await holder();
    // A delay no write sequence outlasts, however slow the engine: nothing is written until the app
    // closes, which writes the pending update once.
    const slow = await app(3_600_000);
    try {
      for (let i = 1; i <= 5; i += 1) expect((await post(slow.hfs, id, i)).statusCode).toBe(200);
      expect((await event(id)).duration).toBe(0);
      expect(slow.seen).toEqual([]);
    } finally {
      await slow.hfs.close();
    }
    expect((await event(id)).duration).toBe(5);
    expect(slow.seen).toEqual(['eventsChanged']);
    // A short delay: written by the timer, with the app still open.
    const quick = await app(300);
    try {
      expect((await post(quick.hfs, id, 6)).statusCode).toBe(200);
      // The notification follows the write: wait for both.
      await vi.waitFor(
        async () => {
          expect((await event(id)).duration).toBe(6);
          expect(quick.seen).toEqual(['eventsChanged']);
        },
        { timeout: 30_000, interval: 100 },
      );
    } finally {
      await quick.hfs.close();
    }
    expect(quick.seen).toEqual(['eventsChanged']);
  });

  it('deleting the holder for good removes its points', async () => {
    const id = await holder();
    await write('api', id, flat(['deltaTime', 'value'], [[0, 1], [1, 2]]));
    expect((await call('api', 'DELETE', `events/${id}`)).status).toBe(200);
    const trashed = await call('hfs', 'GET', `events/${id}/series`);
    expect(trashed.status).toBe(400);
    expect(trashed.body.error).toMatchObject({ id: 'invalid-operation', data: { trashedReference: 'eventId' } });
    expect((await call('api', 'DELETE', `events/${id}`)).body.eventDeletion.id).toBe(id);
    expect(await t.services.stores.series.maxDeltaTime(u.user.id, id)).toBeNull();
    // An event created again with the same id starts empty.
    expect((await call('api', 'POST', 'events', { payload: { id, streamIds: ['weight'], type: 'series:mass/kg' } })).status).toBe(201);
    expect((await points('api', id)).points).toEqual([]);
  });
});
