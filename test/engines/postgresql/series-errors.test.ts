import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { PgSeriesStore } from '../../../src/storage/engines/postgresql/series-store.js';
import { freePort } from '../../helpers/free-port.js';
import { APPS, call, changes, flat, hfs, holder, t, u, useSeriesFixture, type Call } from '../../helpers/series-fixture.js';

/** High-frequency series (Pryv API §5): the errors on both apps, and discovery (test/helpers/series-fixture.ts). */
useSeriesFixture();

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
    changes.length = 0;
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
