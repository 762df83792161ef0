import { describe, expect, it, vi } from 'vitest';
import { APPS, call, flat, holder, points, t, u, useSeriesFixture, write } from '../helpers/series-fixture.js';

/**
 * The per-worker series holder cache (issue #10, src/api/series/holder-cache.ts): after the first
 * call a holder is not loaded again, yet a holder trashed, moved, retimed or deleted behind the
 * worker's back (straight in the store: no message reaches it) is seen by the very next call.
 */
useSeriesFixture();

const ok = flat(['deltaTime', 'value'], [[0, 1]]);

describe.each(APPS)('holder cache on the %s app', (app) => {
  it('a cached holder is not loaded again for writes and reads (engines that re-check holders)', async () => {
    const id = await holder();
    await write(app, id, ok);
    const get = vi.spyOn(t.services.stores.events, 'get');
    try {
      await write(app, id, flat(['deltaTime', 'value'], [[1, 2]]));
      expect((await points(app, id, '?toDeltaTime=10')).points).toEqual([[0, 1], [1, 2]]);
      // Engines that re-check holder facts in the write (PostgreSQL) cache them; the others
      // (mongodb: SeriesStore.checksHolders unset) load the holder on every call, as before.
      const loads = t.services.stores.series.checksHolders === true ? 0 : 2;
      expect(get.mock.calls.filter((c) => c[1] === id)).toHaveLength(loads);
    } finally {
      get.mockRestore();
    }
  });

  it('trashed in the store after being cached: the next write and read are refused, nothing written', async () => {
    const id = await holder();
    await write(app, id, ok);
    await points(app, id, '?toDeltaTime=10');
    await t.services.stores.events.update(u.user.id, id, (e) => ({ ...e, trashed: true }));
    for (const method of ['POST', 'GET'] as const) {
      const res = await call(app, method, `events/${id}/series`, method === 'POST' ? { payload: flat(['deltaTime', 'value'], [[5, 5]]) } : {});
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toMatchObject({ id: 'invalid-operation', data: { trashedReference: 'eventId' } });
    }
    await t.services.stores.events.update(u.user.id, id, (e) => ({ ...e, trashed: false }));
    expect((await points(app, id, '?toDeltaTime=10')).points).toEqual([[0, 1]]);
  });

  it('moved to another stream: the access is checked against where it is now, both ways', async () => {
    const id = await holder();
    await write(app, id, ok, 'contributor');
    await t.services.stores.events.update(u.user.id, id, (e) => ({ ...e, streamIds: ['diary'] }));
    const refused = await call(app, 'POST', `events/${id}/series`, { who: 'contributor', payload: ok });
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body.error.id).toBe('forbidden');
    // Cached as refused for one access, allowed for another: the cache never decides alone.
    await write(app, id, flat(['deltaTime', 'value'], [[1, 1]]), 'diary');
    await t.services.stores.events.update(u.user.id, id, (e) => ({ ...e, streamIds: ['weight'] }));
    expect((await call(app, 'POST', `events/${id}/series`, { who: 'diary', payload: ok })).status).toBe(403);
    expect((await points(app, id, '?toDeltaTime=10', 'contributor')).points).toEqual([[0, 1], [1, 1]]);
  });

  it('a new event time is used for timestamp points at once', async () => {
    const id = await holder();
    await write(app, id, ok);
    const time = (await t.services.stores.events.get(u.user.id, id))?.time ?? 0;
    await t.services.stores.events.update(u.user.id, id, (e) => ({ ...e, time: time - 100 }));
    await write(app, id, flat(['timestamp', 'value'], [[time, 7]]));
    expect((await points(app, id, '?toDeltaTime=1000')).points).toEqual([[0, 1], [100, 7]]);
  });

  it('deleted for good after being cached: 404 on write and read', async () => {
    const id = await holder();
    await write(app, id, ok);
    await points(app, id, '?toDeltaTime=10');
    expect((await call('api', 'DELETE', `events/${id}`)).status).toBe(200);
    expect((await call('api', 'DELETE', `events/${id}`)).status).toBe(200);
    for (const method of ['POST', 'GET'] as const) {
      const res = await call(app, method, `events/${id}/series`, method === 'POST' ? { payload: ok } : {});
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(res.body.error.id).toBe('unknown-resource');
    }
  });
});
