import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/api/context.js';
import type { Config } from '../../src/config/index.js';
import type { Level } from '../../src/domain/types.js';
import { Readiness } from '../../src/health/readiness.js';
import { buildHfsApp } from '../../src/http/role-apps.js';
import { PgSeriesStore } from '../../src/storage/engines/postgresql/series-store.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { freePort } from '../helpers/free-port.js';

/**
 * High-frequency series (Pryv API §5, issue #4) on both apps that serve them: the API app (:3000,
 * where the SDK posts) and the HFS workers' app (:4000), on one real PostgreSQL.
 */
let t: ApiTestApp;
let hfs: FastifyInstance;
let u: TestUser;
const tokens: Record<string, string> = {};
const accessIds: Record<string, string> = {};
let changes: string[] = [];
const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });

type AppName = 'api' | 'hfs';
const APPS: AppName[] = ['api', 'hfs'];
const appOf = (name: AppName): FastifyInstance => (name === 'api' ? t.app : hfs);

interface Call {
  who?: string | null;
  payload?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}
async function call(app: AppName, method: 'GET' | 'POST' | 'DELETE', path: string, c: Call = {}, user = u) {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.who !== null) headers['authorization'] = tokens[c.who ?? 'P'] ?? c.who ?? '';
  const opts: InjectOptions = { method, url: path.startsWith('/') ? path : `/${user.username}/${path}`, headers };
  if (c.raw !== undefined) {
    opts.payload = c.raw;
    headers['content-type'] = 'application/json';
  } else if (c.payload !== undefined) opts.payload = c.payload as object;
  const res = await appOf(app).inject(opts);
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
const flat = (fields: string[], points: unknown[][]) => ({ format: 'flatJSON', fields, points });

/** Holders start a day back: reads without toDeltaTime stop at the current time. */
async function holder(type = 'series:mass/kg', extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call('api', 'POST', 'events', { payload: { streamIds: ['weight'], type, time: Date.now() / 1000 - 86_400, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.event.id as string;
}
async function write(app: AppName, id: string, body: unknown, who = 'P') {
  const res = await call(app, 'POST', `events/${id}/series`, { who, payload: body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
async function points(app: AppName, id: string, query = '', who = 'P') {
  const res = await call(app, 'GET', `events/${id}/series${query}`, { who });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { format: string; fields: string[]; points: unknown[][]; meta: { serverTime: number } };
}
async function event(id: string) {
  return (await call('api', 'GET', `events/${id}`)).body.event;
}
async function access(name: string, perms: [string, Level][], extra: { expires?: number } = {}): Promise<void> {
  const a = await t.createAccess(u, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })), ...extra });
  tokens[name] = a.token;
  accessIds[name] = a.id;
}

beforeAll(async () => {
  // Holder updates before the answer, so assertions need no waiting (coalescing has its own test).
  t = await createApiTestApp({ HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0' });
  hfs = await buildHfsApp(t.services, readiness);
  await hfs.ready();
  u = await t.createUser();
  tokens['P'] = u.token;
  for (const s of [{ id: 'body', name: 'body' }, { id: 'weight', name: 'weight', parentId: 'body' }, { id: 'diary', name: 'diary' }]) {
    expect((await call('api', 'POST', 'streams', { payload: s })).status).toBe(201);
  }
  await access('contributor', [['body', 'contribute']]);
  await access('createOnly', [['body', 'create-only']]);
  await access('reader', [['body', 'read']]);
  await access('diary', [['diary', 'contribute']]);
  await access('expired', [['body', 'manage']], { expires: Date.now() / 1000 - 10 });
  t.services.notifier = { emit: (_user, change) => changes.push(change) };
});
beforeEach(() => {
  changes = [];
});
afterAll(async () => {
  await hfs?.close();
  await t?.close();
});

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
    changes = [];
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
    changes = [];
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
    const config: Readonly<Config> = { ...t.config, series: { ...t.config.series, metadataUpdateDelayMs: 300 } };
    const seen: string[] = [];
    const services: Services = { ...t.services, config, notifier: { emit: (_u, change) => seen.push(change) } };
    const delayed = await buildHfsApp(services, readiness);
    try {
      const id = await holder();
      for (let i = 1; i <= 5; i += 1) {
        const res = await delayed.inject({ method: 'POST', url: `/${u.username}/events/${id}/series`, headers: { authorization: u.token }, payload: flat(['deltaTime', 'value'], [[i, i]]) });
        expect(res.statusCode).toBe(200);
      }
      expect((await event(id)).duration).toBe(0);
      expect(seen).toEqual([]);
      await new Promise((r) => setTimeout(r, 600));
      expect((await event(id)).duration).toBe(5);
      expect(seen).toEqual(['eventsChanged']);
      // Pending updates are written when the app closes.
      await delayed.inject({ method: 'POST', url: `/${u.username}/events/${id}/series`, headers: { authorization: u.token }, payload: flat(['deltaTime', 'value'], [[6, 6]]) });
    } finally {
      await delayed.close();
    }
    expect(seen).toEqual(['eventsChanged', 'eventsChanged']);
  });

  it('deleting the holder for good removes its points', async () => {
    const id = await holder();
    await write('api', id, flat(['deltaTime', 'value'], [[0, 1], [1, 2]]));
    expect((await call('api', 'DELETE', `events/${id}`)).status).toBe(200);
    const trashed = await call('hfs', 'GET', `events/${id}/series`);
    expect(trashed.status).toBe(400);
    expect(trashed.body.error).toMatchObject({ id: 'invalid-operation', data: { trashedReference: 'eventId' } });
    expect((await call('api', 'DELETE', `events/${id}`)).body.eventDeletion.id).toBe(id);
    const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM series_chunks WHERE event_id = $1', [id]);
    expect(rows[0].n).toBe(0);
    // An event created again with the same id starts empty.
    expect((await call('api', 'POST', 'events', { payload: { id, streamIds: ['weight'], type: 'series:mass/kg' } })).status).toBe(201);
    expect((await points('api', id)).points).toEqual([]);
  });
});

describe.each(APPS)('errors on the %s app', (app) => {
  let id: string;
  let plain: string;
  let trashed: string;
  let time: number;
  beforeAll(async () => {
    time = 1_600_000_000;
    id = await holder('series:mass/kg', { time });
    plain = (await call('api', 'POST', 'events', { payload: { streamIds: ['weight'], type: 'mass/kg', content: 1 } })).body.event.id as string;
    trashed = await holder('series:mass/kg', { trashed: true });
  });
  const ok = flat(['deltaTime', 'value'], [[0, 1]]);

  it.each<[string, 'GET' | 'POST', () => string, Call, number, string]>([
    ['no token (write)', 'POST', () => `events/${id}/series`, { who: null, payload: ok }, 401, 'missing-header'],
    ['no token (read)', 'GET', () => `events/${id}/series`, { who: null }, 401, 'missing-header'],
    ['unknown token', 'POST', () => `events/${id}/series`, { who: 'not-a-token', payload: ok }, 403, 'invalid-access-token'],
    ['unknown token (read)', 'GET', () => `events/${id}/series`, { who: 'not-a-token' }, 403, 'invalid-access-token'],
    ['unknown user', 'POST', () => `/nobody-here/events/${id}/series`, { payload: ok }, 404, 'unknown-resource'],
    ['unknown event (write)', 'POST', () => 'events/cunknownunknownunknownunk/series', { payload: ok }, 404, 'unknown-resource'],
    ['unknown event (read)', 'GET', () => 'events/cunknownunknownunknownunk/series', {}, 404, 'unknown-resource'],
    ['not a series event (write)', 'POST', () => `events/${plain}/series`, { payload: ok }, 400, 'invalid-operation'],
    ['not a series event (read)', 'GET', () => `events/${plain}/series`, {}, 400, 'invalid-operation'],
    ['trashed holder', 'POST', () => `events/${trashed}/series`, { payload: ok }, 400, 'invalid-operation'],
    ['malformed JSON', 'POST', () => `events/${id}/series`, { raw: '{"format": "flatJSON", ' }, 400, 'invalid-request-structure'],
    ['not flatJSON', 'POST', () => `events/${id}/series`, { payload: { format: 'json', fields: ['deltaTime', 'value'], points: [] } }, 400, 'invalid-request-structure'],
    ['no fields', 'POST', () => `events/${id}/series`, { payload: { format: 'flatJSON', points: [] } }, 400, 'invalid-request-structure'],
    ['points not an array', 'POST', () => `events/${id}/series`, { payload: { format: 'flatJSON', fields: ['deltaTime', 'value'], points: 3 } }, 400, 'invalid-request-structure'],
    ['no time field', 'POST', () => `events/${id}/series`, { payload: flat(['value'], [[1]]) }, 400, 'invalid-request-structure'],
    ['two time fields', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'timestamp', 'value'], [[0, time, 1]]) }, 400, 'invalid-request-structure'],
    ['duplicate field', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'value', 'value'], [[0, 1, 1]]) }, 400, 'invalid-request-structure'],
    ['unknown field', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'value', 'unit'], [[0, 1, 'kg']]) }, 400, 'invalid-request-structure'],
    ['missing required field', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime'], [[0]]) }, 400, 'invalid-request-structure'],
    ['point too short', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'value'], [[0, 1], [1]]) }, 400, 'invalid-request-structure'],
    ['point not an array', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'value'], [{ deltaTime: 0 }]) }, 400, 'invalid-request-structure'],
    ['value not a number', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'value'], [[0, 'seventy']]) }, 400, 'invalid-request-structure'],
    ['negative deltaTime', 'POST', () => `events/${id}/series`, { payload: flat(['deltaTime', 'value'], [[-1, 1]]) }, 400, 'invalid-request-structure'],
    ['timestamp before the event', 'POST', () => `events/${id}/series`, { payload: flat(['timestamp', 'value'], [[time - 0.5, 1]]) }, 400, 'invalid-request-structure'],
    ['fromDeltaTime not a number', 'GET', () => `events/${id}/series?fromDeltaTime=abc`, {}, 400, 'invalid-parameters-format'],
    ['toDeltaTime infinite', 'GET', () => `events/${id}/series?toDeltaTime=Infinity`, {}, 400, 'invalid-parameters-format'],
    ['unknown query parameter', 'GET', () => `events/${id}/series?limit=3`, {}, 400, 'invalid-parameters-format'],
    ['no right on its streams', 'POST', () => `events/${id}/series`, { who: 'diary', payload: ok }, 403, 'forbidden'],
  ])('%s', async (_name, method, path, c, status, errorId) => {
    changes = [];
    const res = await call(app, method, path(), c);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.id).toBe(errorId);
    expect(res.body.meta.serverTime).toBeTypeOf('number');
    expect(changes).toEqual([]);
  });

  it('a trashed holder names the trashed reference', async () => {
    const res = await call(app, 'POST', `events/${trashed}/series`, { payload: ok });
    expect(res.body.error.data).toEqual({ trashedReference: 'eventId' });
  });

  it('more than series.maxPointsPerRequest points → 413', async () => {
    const limit = t.config.series.maxPointsPerRequest;
    const res = await call(app, 'POST', `events/${id}/series`, { payload: flat(['deltaTime', 'value'], Array.from({ length: limit + 1 }, (_, i) => [i, 1])) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ id: 'invalid-request-structure', data: { limit } });
  });

  it('series store down → 503 api-unavailable, on writes and reads', async () => {
    const dead = new pg.Pool({ host: '127.0.0.1', port: await freePort(), user: 'x', database: 'x', connectionTimeoutMillis: 1000 });
    const live = t.services.stores.series;
    t.services.stores.series = new PgSeriesStore(dead);
    try {
      for (const [method, c] of [['POST', { payload: ok }], ['GET', {}]] as const) {
        const res = await call(app, method, `events/${id}/series`, c);
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body.error.id).toBe('api-unavailable');
      }
    } finally {
      t.services.stores.series = live;
      await dead.end();
    }
  });
});

describe('discovery', () => {
  it('service info no longer says noHF: the API port serves series itself', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/reg/service/info' });
    expect(res.json().features?.noHF).toBeUndefined();
  });

  it('the HFS app answers /system/status and CORS preflights', async () => {
    expect((await hfs.inject({ method: 'GET', url: '/system/status' })).json()).toEqual({ status: 'ok' });
    const pre = await hfs.inject({ method: 'OPTIONS', url: `/${u.username}/events/x/series`, headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(pre.statusCode).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
  });
});
