import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Level } from '../../src/domain/types.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

let t: ApiTestApp;
let u: TestUser;
const tokens: Record<string, string> = {};
let changes: string[] = [];

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function raw(who: string, method: Verb, path: string, payload?: unknown, user = u) {
  return t.app.inject({ method, url: `/${user.username}${path}`, headers: { authorization: tokens[who] ?? who }, ...(payload === undefined ? {} : { payload: payload as object }) });
}
async function call(who: string, method: Verb, path: string, payload?: unknown, user = u) {
  const res = await raw(who, method, path, payload, user);
  return { status: res.statusCode, body: res.json() };
}
async function app(name: string, perms: [string, Level][], user = u): Promise<void> {
  tokens[name] = (await t.createAccess(user, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })) })).token;
}
async function streams(who: string, list: { id: string; parentId?: string; trashed?: boolean }[], user = u): Promise<void> {
  for (const s of list) expect((await call(who, 'POST', '/streams', { name: s.id, ...s }, user)).status).toBe(201);
}
async function create(event: Record<string, unknown>, who = 'P', user = u) {
  const res = await call(who, 'POST', '/events', event, user);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body['event'];
}

beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
  tokens['P'] = u.token;
  await streams('P', [{ id: 'diary' }, { id: 'body' }, { id: 'weight', parentId: 'body' }, { id: 'private' }, { id: 'old', trashed: true }]);
  await app('bodyReader', [['body', 'read']]);
  await app('bodyContributor', [['body', 'contribute']]);
  await app('bodyCreateOnly', [['body', 'create-only']]);
  await app('diaryContributor', [['diary', 'contribute']]);
  t.services.notifier = { emit: (_user, change) => changes.push(change) };
});
beforeEach(() => {
  changes = [];
});
afterAll(async () => {
  await t?.close();
});

describe('events.create', () => {
  it('creates a point event with the server defaults', async () => {
    const before = Date.now() / 1000;
    const { status, body } = await call('P', 'POST', '/events', { streamIds: ['diary', 'diary'], type: 'note/txt', content: 'hello' });
    expect(status).toBe(201);
    const e = body['event'];
    expect(e.id).toMatch(/^[a-z][a-z0-9]{23}$/);
    expect(e).toMatchObject({ streamIds: ['diary'], type: 'note/txt', content: 'hello', trashed: false });
    expect(e.time).toBeGreaterThanOrEqual(before - 1);
    expect(e).not.toHaveProperty('duration');
    expect(e.created).toBe(e.modified);
    expect(body['meta'].serverTime).toBeTypeOf('number');
    expect(changes).toEqual(['eventsChanged']);
  });

  it.each<[string, string, Record<string, unknown>, number, string | Record<string, unknown>]>([
    ['known type, valid content', 'P', { streamIds: ['weight'], type: 'mass/kg', content: 70 }, 201, { content: 70 }],
    ['"70" for mass/kg', 'P', { streamIds: ['weight'], type: 'mass/kg', content: '70' }, 400, 'invalid-parameters-format'],
    ['missing content for a known type', 'P', { streamIds: ['weight'], type: 'mass/kg' }, 400, 'invalid-parameters-format'],
    ['unknown type, any content', 'P', { streamIds: ['diary'], type: 'my-app/thing', content: { a: [1] } }, 201, { content: { a: [1] } }],
    ['malformed type', 'P', { streamIds: ['diary'], type: 'Not A Type' }, 400, 'invalid-parameters-format'],
    ['period and description', 'P', { streamIds: ['diary'], type: 'note/txt', content: 'x', duration: 60, description: 'd', time: 1000 }, 201, { duration: 60, description: 'd', time: 1000 }],
    ['running (duration null)', 'P', { streamIds: ['diary'], type: 'note/txt', content: 'x', duration: null }, 201, { duration: null }],
    ['explicit 0 duration kept', 'P', { streamIds: ['diary'], type: 'note/txt', content: 'x', duration: 0 }, 201, { duration: 0 }],
    ['negative duration', 'P', { streamIds: ['diary'], type: 'note/txt', content: 'x', duration: -1 }, 400, 'invalid-parameters-format'],
    ['client id (legacy c + 24)', 'P', { id: 'cabcdefghijklmnopqrstuvwx', streamIds: ['diary'], type: 'note/txt', content: 'x' }, 201, { id: 'cabcdefghijklmnopqrstuvwx' }],
    ['duplicate id', 'P', { id: 'cabcdefghijklmnopqrstuvwx', streamIds: ['diary'], type: 'note/txt', content: 'x' }, 409, 'item-already-exists'],
    ['malformed id', 'P', { id: 'Bad id', streamIds: ['diary'], type: 'note/txt', content: 'x' }, 400, 'invalid-parameters-format'],
    ['series event', 'P', { streamIds: ['weight'], type: 'series:mass/kg' }, 201, { content: { elementType: 'mass/kg', fields: ['deltaTime', 'value'], required: ['deltaTime', 'value'] }, duration: 0 }],
    ['series with content', 'P', { streamIds: ['weight'], type: 'series:mass/kg', content: 1 }, 400, 'invalid-parameters-format'],
    ['series of an unknown leaf', 'P', { streamIds: ['weight'], type: 'series:not/known' }, 400, 'invalid-event-type'],
    ['unknown stream', 'P', { streamIds: ['diary', 'nope'], type: 'note/txt', content: 'x' }, 400, 'unknown-referenced-resource'],
    ['trashed stream', 'P', { streamIds: ['old'], type: 'note/txt', content: 'x' }, 400, 'invalid-operation'],
    ['no streamIds', 'P', { streamIds: [], type: 'note/txt', content: 'x' }, 400, 'invalid-parameters-format'],
    ['v1 streamId field', 'P', { streamId: 'diary', streamIds: ['diary'], type: 'note/txt', content: 'x' }, 400, 'invalid-parameters-format'],
    ['tags field', 'P', { tags: ['a'], streamIds: ['diary'], type: 'note/txt', content: 'x' }, 400, 'invalid-parameters-format'],
    ['read access', 'bodyReader', { streamIds: ['weight'], type: 'mass/kg', content: 1 }, 403, 'forbidden'],
    ['create-only access', 'bodyCreateOnly', { streamIds: ['weight'], type: 'mass/kg', content: 1 }, 201, { content: 1 }],
    ['contribute, but not on every stream', 'bodyContributor', { streamIds: ['weight', 'diary'], type: 'mass/kg', content: 1 }, 403, 'forbidden'],
  ])('%s', async (_n, who, payload, status, expected) => {
    const { status: s, body } = await call(who, 'POST', '/events', payload);
    expect(s, JSON.stringify(body)).toBe(status);
    if (typeof expected === 'string') {
      expect(body['error'].id).toBe(expected);
      expect(changes).toEqual([]);
    } else {
      expect(body['event']).toMatchObject(expected);
      expect(changes).toEqual(['eventsChanged']);
    }
  });

  it('names the problems of invalid content and of unknown streams', async () => {
    const content = await call('P', 'POST', '/events', { streamIds: ['weight'], type: 'mass/kg', content: '70' });
    expect(content.body['error'].data[0]).toMatchObject({ param: 'content' });
    const unknown = await call('P', 'POST', '/events', { streamIds: ['nope'], type: 'note/txt', content: 'x' });
    expect(unknown.body['error'].data).toEqual({ streamIds: ['nope'] });
    const dup = await call('P', 'POST', '/events', { id: 'cabcdefghijklmnopqrstuvwx', streamIds: ['diary'], type: 'note/txt', content: 'x' });
    expect(dup.body['error'].data).toEqual({ id: 'cabcdefghijklmnopqrstuvwx' });
  });
});

describe('events.getOne', () => {
  let id: string;
  beforeAll(async () => {
    id = (await create({ streamIds: ['weight'], type: 'mass/kg', content: 80 }))['id'] as string;
  });

  it.each<[string, string, () => string, number, string | null]>([
    ['personal', 'P', () => id, 200, null],
    ['read on the stream', 'bodyReader', () => id, 200, null],
    ['create-only cannot read', 'bodyCreateOnly', () => id, 403, 'forbidden'],
    ['no permission', 'diaryContributor', () => id, 403, 'forbidden'],
    ['unknown event', 'P', () => 'cunknownunknownunknownunk', 404, 'unknown-resource'],
  ])('%s (%s)', async (_n, who, idOf, status, errorId) => {
    const { status: s, body } = await call(who, 'GET', `/events/${idOf()}`);
    expect(s).toBe(status);
    if (errorId === null) expect(body['event']).toMatchObject({ id, content: 80 });
    else expect(body['error'].id).toBe(errorId);
  });

  it('includeHistory answers an empty history (versioning.forceKeepHistory off, the default)', async () => {
    expect((await call('P', 'GET', `/events/${id}?includeHistory=true`)).body['history']).toEqual([]);
  });
});

describe('events.update', () => {
  let id: string;
  beforeEach(async () => {
    id = (await create({ streamIds: ['weight'], type: 'mass/kg', content: 80, clientData: { keep: 1, drop: 2 } }))['id'] as string;
    changes = [];
  });

  it.each<[string, string, Record<string, unknown>, number, string | Record<string, unknown>]>([
    ['description', 'P', { description: 'morning' }, 200, { description: 'morning', content: 80 }],
    ['clientData merge, null deletes a key', 'P', { clientData: { drop: null, add: 3 } }, 200, { clientData: { keep: 1, add: 3 } }],
    ['time and duration', 'P', { time: 5000, duration: null }, 200, { time: 5000, duration: null }],
    ['content re-validated', 'P', { content: '81' }, 400, 'invalid-parameters-format'],
    ['type change re-validates the kept content', 'P', { type: 'note/txt' }, 400, 'invalid-parameters-format'],
    ['type and content together', 'P', { type: 'note/txt', content: 'now text' }, 200, { type: 'note/txt', content: 'now text' }],
    ['normal → series', 'P', { type: 'series:mass/kg' }, 400, 'invalid-operation'],
    ['move to another stream', 'P', { streamIds: ['diary'] }, 200, { streamIds: ['diary'] }],
    ['into a trashed stream', 'P', { streamIds: ['old'] }, 400, 'invalid-operation'],
    ['into an unknown stream', 'P', { streamIds: ['nope'] }, 400, 'unknown-referenced-resource'],
    ['protected field created', 'P', { created: 1 }, 403, 'forbidden'],
    ['protected field id', 'P', { id: 'cabcdefghijklmnopqrstuvwy' }, 403, 'forbidden'],
    ['unknown field', 'P', { color: 'red' }, 400, 'invalid-parameters-format'],
    ['trash via update', 'P', { trashed: true }, 200, { trashed: true }],
    ['contribute on its stream', 'bodyContributor', { content: 82 }, 200, { content: 82 }],
    ['read access', 'bodyReader', { content: 82 }, 403, 'forbidden'],
    ['create-only access', 'bodyCreateOnly', { content: 82 }, 403, 'forbidden'],
    ['adding a stream without permission', 'bodyContributor', { streamIds: ['weight', 'diary'] }, 403, 'forbidden'],
  ])('%s', async (_n, who, update, status, expected) => {
    const { status: s, body } = await call(who, 'PUT', `/events/${id}`, update);
    expect(s, JSON.stringify(body)).toBe(status);
    if (typeof expected === 'string') {
      expect(body['error'].id).toBe(expected);
      expect(changes).toEqual([]);
    } else {
      expect(body['event']).toMatchObject({ id, ...expected });
      expect(body['event'].modified).toBeGreaterThanOrEqual(body['event'].created);
      expect(changes).toEqual(['eventsChanged']);
      expect((await call('P', 'GET', `/events/${id}`)).body['event']).toEqual(body['event']);
    }
  });

  it('unknown event → 404', async () => {
    expect((await call('P', 'PUT', '/events/cunknownunknownunknownunk', { description: 'x' })).status).toBe(404);
  });

  it('series events keep server content and refuse a change to a normal type', async () => {
    const s = await create({ streamIds: ['weight'], type: 'series:mass/kg' });
    expect((await call('P', 'PUT', `/events/${s['id']}`, { type: 'mass/kg', content: 1 })).body['error'].id).toBe('invalid-operation');
    expect((await call('P', 'PUT', `/events/${s['id']}`, { content: { elementType: 'x' } })).body['error'].id).toBe('invalid-parameters-format');
    const renamed = await call('P', 'PUT', `/events/${s['id']}`, { type: 'series:mass/lb' });
    expect(renamed.body['event'].content).toMatchObject({ elementType: 'mass/lb' });
  });
});

describe('events.delete', () => {
  it('trashes, then deletes for good with a deletion record', async () => {
    const e = await create({ streamIds: ['diary'], type: 'note/txt', content: 'bye' });
    changes = [];
    const first = await call('P', 'DELETE', `/events/${e['id']}`);
    expect(first.status).toBe(200);
    expect(first.body['event']).toMatchObject({ id: e['id'], trashed: true });
    const second = await call('P', 'DELETE', `/events/${e['id']}`);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ eventDeletion: { id: e['id'], deleted: expect.any(Number) } });
    expect(changes).toEqual(['eventsChanged', 'eventsChanged']);
    expect((await call('P', 'GET', `/events/${e['id']}`)).status).toBe(404);
    expect((await call('P', 'DELETE', `/events/${e['id']}`)).status).toBe(404);
  });

  it.each<[string, number]>([
    ['bodyReader', 403],
    ['bodyCreateOnly', 403],
    ['bodyContributor', 200],
  ])('%s → %i', async (who, status) => {
    const e = await create({ streamIds: ['weight'], type: 'mass/kg', content: 1 });
    expect((await call(who, 'DELETE', `/events/${e['id']}`)).status).toBe(status);
  });
});
