import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Level } from '../../src/domain/types.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

let t: ApiTestApp;
let u: TestUser;
const tokens: Record<string, string> = {};
/** Event name (its description) → id. */
const ids: Record<string, string> = {};
const T = Math.floor(Date.now() / 1000) - 10_000;

async function get(query: string, who = 'P') {
  const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events${query}`, headers: { authorization: tokens[who] ?? who } });
  return { status: res.statusCode, body: res.json(), text: res.body };
}
async function post(path: string, payload: unknown) {
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: { authorization: u.token }, payload: payload as object });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}
const names = (events: { description?: string }[]): (string | undefined)[] => events.map((e) => e.description);

beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
  tokens['P'] = u.token;
  // a ─ a1 ─ a11 │ b │ c │ many
  for (const s of [{ id: 'a' }, { id: 'a1', parentId: 'a' }, { id: 'a11', parentId: 'a1' }, { id: 'b' }, { id: 'c' }, { id: 'many' }]) {
    await post('/streams', { name: s.id, ...s });
  }
  const seed: [string, Record<string, unknown>][] = [
    ['e1', { time: T + 1, streamIds: ['a'], type: 'mass/kg', content: 1 }],
    ['e2', { time: T + 2, streamIds: ['a1'], type: 'mass/lb', content: 2 }],
    ['e3', { time: T + 3, streamIds: ['a11', 'b'], type: 'note/txt', content: 'x' }],
    ['e4', { time: T + 4, streamIds: ['b'], type: 'note/html', content: '<p>', duration: 10 }],
    ['e5', { time: T + 5, streamIds: ['c'], type: 'my-app/thing', content: {}, duration: null }],
    ['e6', { time: T + 6, streamIds: ['a'], type: 'note/txt', content: 'trash me' }],
  ];
  for (const [name, e] of seed) ids[name] = (await post('/events', { ...e, description: name }))['event'].id;
  await t.app.inject({ method: 'DELETE', url: `/${u.username}/events/${ids['e6']}`, headers: { authorization: u.token } });
  for (const [name, perms] of [
    ['aReader', [['a', 'read'], ['a1', 'none']]],
    ['starReader', [['*', 'read'], ['b', 'none']]],
    ['cCreateOnly', [['c', 'create-only']]],
  ] as [string, [string, Level][]][]) {
    tokens[name] = (await t.createAccess(u, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })) })).token;
  }
});
afterAll(async () => {
  await t?.close();
});

describe('events.get filters', () => {
  const q = (o: Record<string, unknown>): string => `?${new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()}`;
  it.each<[string, string, string[]]>([
    ['default: newest first, not trashed', '?streams=a&streams=b&streams=c', ['e5', 'e4', 'e3', 'e2', 'e1']],
    ['one id includes descendants', '?streams=a', ['e3', 'e2', 'e1']],
    ['`id!` excludes descendants', `?streams=${encodeURIComponent('a!')}`, ['e1']],
    ['streams[] form', '?streams[]=a1&streams[]=c', ['e5', 'e3', 'e2']],
    ['JSON array of ids', q({ streams: ['b', 'c'] }), ['e5', 'e4', 'e3']],
    ['query: any + not', q({ streams: { any: ['a'], not: ['b'] } }), ['e2', 'e1']],
    ['query: any + all', q({ streams: { any: ['a'], all: ['b'] } }), ['e3']],
    ['queries are OR-ed', q({ streams: [{ any: ['c'] }, { any: ['a1!'] }] }), ['e5', 'e2']],
    ['any * with not', q({ streams: { any: ['*'], not: ['a', 'many'] } }), ['e5', 'e4']],
    ['types with class wildcard', '?streams=a&streams=b&streams=c&types=mass/*', ['e2', 'e1']],
    ['several exact types', '?types=note/txt&types=note/html', ['e4', 'e3']],
    ['running only', '?running=true', ['e5']],
    ['state=trashed', '?state=trashed', ['e6']],
    ['state=all', '?state=all&streams=a', ['e6', 'e3', 'e2', 'e1']],
    ['window catches a period by its end', `?fromTime=${T + 3.5}&toTime=${T + 4.5}`, ['e4']],
    ['running events end now', `?fromTime=${T + 10}&toTime=${T + 12}`, ['e5', 'e4']],
    ['only toTime: 24 h before it', `?toTime=${T + 2}`, ['e2', 'e1']],
    ['only fromTime: until now', `?fromTime=${T + 4.5}`, ['e5', 'e4']],
    ['huge negative fromTime', `?fromTime=${encodeURIComponent('-1.7976931348623157e+308')}&toTime=${T + 1}`, ['e1']],
    ['limit', '?limit=2', ['e5', 'e4']],
    ['skip and limit', '?skip=1&limit=2', ['e4', 'e3']],
    ['sortAscending', '?sortAscending=true&limit=2', ['e1', 'e2']],
  ])('%s', async (_n, query, expected) => {
    const { status, body } = await get(query);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(names(body['events'])).toEqual(expected);
  });

  it.each<[string, string, string, number, string | string[]]>([
    ['read with a none mask', 'aReader', '', 200, ['e1']],
    ['* with a none mask (e3 is also in readable a11)', 'starReader', '', 200, ['e5', 'e3', 'e2', 'e1']],
    ['create-only reads nothing', 'cCreateOnly', '', 200, []],
    ['explicit unreadable stream', 'aReader', '?streams=b', 403, 'forbidden'],
    ['create-only stream', 'cCreateOnly', '?streams=c', 403, 'forbidden'],
    ['unknown stream', 'P', '?streams=a&streams=nope', 400, 'unknown-referenced-resource'],
    ['mixing ids and queries', 'P', q({ streams: ['a', { any: ['b'] }] }), 400, 'invalid-request-structure'],
    ['query without any', 'P', q({ streams: { not: ['a'] } }), 400, 'invalid-request-structure'],
    ['bad type filter', 'P', '?types=NOPE', 400, 'invalid-parameters-format'],
    ['bad state', 'P', '?state=deleted', 400, 'invalid-parameters-format'],
  ])('%s (%s)', async (_n, who, query, status, expected) => {
    const { status: s, body } = await get(query, who);
    expect(s, JSON.stringify(body)).toBe(status);
    if (typeof expected === 'string') expect(body['error'].id).toBe(expected);
    else expect(names(body['events'])).toEqual(expected);
  });

  it('lists the unknown streams in data.streams', async () => {
    expect((await get('?streams=nope&streams=a')).body['error'].data).toEqual({ streams: ['nope'] });
  });

  it('returns at most 20 events without time range or limit', async () => {
    await post('/', Array.from({ length: 25 }, (_, i) => ({ method: 'events.create', params: { streamIds: ['many'], type: 'count/generic', content: i, time: T - 100 - i } })));
    expect((await get('?streams=many')).body['events']).toHaveLength(20);
    expect((await get('?streams=many&limit=100')).body['events']).toHaveLength(25);
  });
});

describe('events.get streamed form', () => {
  it('writes compact JSON with "events":[ and then "eventDeletions":[, items with deleted', async () => {
    const since = Date.now() / 1000;
    const victim = (await post('/events', { streamIds: ['c'], type: 'note/txt', content: 'bye' }))['event'].id as string;
    for (let i = 0; i < 2; i++) await t.app.inject({ method: 'DELETE', url: `/${u.username}/events/${victim}`, headers: { authorization: u.token } });
    const touched = (await post('/events', { streamIds: ['c'], type: 'note/txt', content: 'new' }))['event'].id as string;
    const { status, text, body } = await get(`?modifiedSince=${since}&includeDeletions=true&state=all`);
    expect(status).toBe(200);
    const events = text.indexOf('"events":[');
    const deletions = text.indexOf('"eventDeletions":[');
    expect(events).toBeGreaterThan(-1);
    expect(deletions).toBeGreaterThan(events);
    expect(text).not.toMatch(/\n/);
    expect(body['events'].map((e: { id: string; content: unknown }) => e['id'])).toEqual([touched]);
    expect(body['eventDeletions']).toEqual([{ id: victim, deleted: expect.any(Number) }]);
    expect(body['eventDeletions'][0].deleted).toBeGreaterThan(since);
    expect(body['meta']).toMatchObject({ apiVersion: expect.any(String), serverTime: expect.any(Number) });
  });

  it('has no eventDeletions without includeDeletions or modifiedSince', async () => {
    expect((await get('?includeDeletions=true')).body).not.toHaveProperty('eventDeletions');
    expect((await get(`?modifiedSince=${T}`)).body).not.toHaveProperty('eventDeletions');
  });

  it('streams 500 events created in one batch', async () => {
    await post('/streams', { id: 'bulk', name: 'bulk' });
    const calls = Array.from({ length: 500 }, (_, i) => ({ method: 'events.create', params: { streamIds: ['bulk'], type: 'mass/kg', content: i, time: T + 1000 + i } }));
    const batch = await post('/', calls);
    expect(batch['results']).toHaveLength(500);
    expect(batch['results'].every((r: { event?: unknown }) => r['event'] !== undefined)).toBe(true);
    const { status, body, text } = await get(`?streams=bulk&fromTime=${T}&toTime=${T + 2000}&sortAscending=true`);
    expect(status).toBe(200);
    expect(body['events']).toHaveLength(500);
    expect(body['events'].map((e: { id: string; content: unknown }) => e['content'])).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(text.startsWith('{"events":[{')).toBe(true);
  });

  // events.get yields stored JSON strings; batch/socket results must hold objects.
  it('gives batch calls plain event objects', async () => {
    const res = await post('/', [{ method: 'events.get', params: { streams: ['a'], limit: 1 } }]);
    expect(res['results'][0].events[0]).toMatchObject({ id: ids['e3'], description: 'e3' });
  });
});
