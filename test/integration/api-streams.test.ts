import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Level } from '../../src/domain/types.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

let t: ApiTestApp;
let u: TestUser;
const tokens: Record<string, string> = {};
let changes: string[] = [];

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function call(who: string, method: Verb, path: string, payload?: unknown) {
  const res = await t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: tokens[who] ?? who }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}
const names = (list: { id: string; children?: unknown[] }[]): unknown[] =>
  list.map((s) => (s.children !== undefined && s.children.length > 0 ? { [s.id]: names(s.children as { id: string }[]) } : s.id));

async function app(name: string, perms: [string, Level][]): Promise<void> {
  tokens[name] = (await t.createAccess(u, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })) })).token;
}

beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
  tokens['P'] = u.token;
  // health ─ heart ─ pulse │ health ─ sleep │ work ─ notes │ attic (trashed)
  for (const s of [
    { id: 'health', name: 'Health' },
    { id: 'heart', name: 'Heart', parentId: 'health' },
    { id: 'pulse', name: 'Pulse', parentId: 'heart' },
    { id: 'sleep', name: 'Sleep', parentId: 'health' },
    { id: 'work', name: 'Work' },
    { id: 'notes', name: 'Notes', parentId: 'work' },
    { id: 'attic', name: 'Attic', trashed: true },
  ]) {
    expect((await call('P', 'POST', '/streams', s)).status).toBe(201);
  }
  await app('healthManager', [['health', 'manage']]);
  await app('workReader', [['work', 'read']]);
  await app('heartReader', [['heart', 'read']]);
  await app('allButHeart', [['*', 'read'], ['heart', 'none']]);
  await app('rootManager', [['*', 'manage']]);
  await app('healthContributor', [['health', 'contribute']]);
  t.services.notifier = { emit: (_user, change) => changes.push(change) };
});
beforeEach(() => {
  changes = [];
});
afterAll(async () => {
  await t?.close();
});

/** The account streams a personal access lists after its own (docs/api.md#system-streams). */
const ACCOUNT = { ':_system:account': [':system:email', ':_system:language', { ':_system:storageUsed': [':_system:attachedFiles', ':_system:dbDocuments'] }] };

describe('streams.get', () => {
  it.each<[string, string, string, unknown[]]>([
    ['P: whole tree sorted by name, trashed hidden, then the account streams', 'P', '', [{ health: [{ heart: ['pulse'] }, 'sleep'] }, { work: ['notes'] }, ACCOUNT]],
    ['P: state=all includes trashed', 'P', '?state=all', ['attic', { health: [{ heart: ['pulse'] }, 'sleep'] }, { work: ['notes'] }, ACCOUNT]],
    ['P: parentId', 'P', '?parentId=health', [{ heart: ['pulse'] }, 'sleep']],
    ['app: its listable streams as top-level entries', 'workReader', '', [{ work: ['notes'] }]],
    ['child permission: the child at top level', 'heartReader', '', [{ heart: ['pulse'] }]],
    ['none masks a subtree', 'allButHeart', '', [{ health: ['sleep'] }, { work: ['notes'] }]],
  ])('%s', async (_n, who, query, expected) => {
    const { status, body } = await call(who, 'GET', `/streams${query}`);
    expect(status).toBe(200);
    expect(names(body['streams'])).toEqual(expected);
  });

  it('keeps the real parentId of top-level entries and always sends children', async () => {
    const { body } = await call('heartReader', 'GET', '/streams');
    expect(body['streams'][0]).toMatchObject({ id: 'heart', parentId: 'health', name: 'Heart', trashed: false, createdBy: expect.any(String) });
    expect(body['streams'][0].children[0]).toMatchObject({ id: 'pulse', children: [] });
  });

  it.each<[string, string, string, number, string]>([
    ['unknown parentId', 'P', 'nope', 400, 'unknown-referenced-resource'],
    ['unlistable parentId', 'workReader', 'health', 403, 'forbidden'],
    ['unknown token', 'not-a-token', 'health', 403, 'invalid-access-token'],
  ])('%s → %i %s', async (_n, who, parentId, status, id) => {
    const res = await call(who, 'GET', `/streams?parentId=${parentId}`);
    expect(res.status).toBe(status);
    expect(res.body['error'].id).toBe(id);
  });
});

describe('streams.create', () => {
  it.each<[string, string, Record<string, unknown>, number, string | Record<string, unknown>]>([
    ['P: root stream', 'P', { id: 'new-root', name: 'New root' }, 201, { id: 'new-root', parentId: null, children: [], trashed: false }],
    ['P: slugified id', 'P', { id: 'my new stream', name: 'Slugged' }, 201, { id: 'my-new-stream' }],
    ['P: minted id', 'P', { name: 'No id' }, 201, { name: 'No id' }],
    ['P: with clientData', 'P', { id: 'cd', name: 'CD', parentId: 'work', clientData: { a: 1 } }, 201, { parentId: 'work', clientData: { a: 1 } }],
    ['duplicate id', 'P', { id: 'health', name: 'Other' }, 409, 'item-already-exists'],
    ['sibling name clash', 'P', { name: 'Heart', parentId: 'health' }, 409, 'item-already-exists'],
    ['same name elsewhere is fine', 'P', { id: 'heart2', name: 'Heart', parentId: 'work' }, 201, { id: 'heart2' }],
    ['unknown parent', 'P', { name: 'Orphan', parentId: 'nope' }, 400, 'unknown-referenced-resource'],
    ['trashed parent', 'P', { name: 'In attic', parentId: 'attic' }, 400, 'invalid-operation'],
    ['reserved id', 'P', { id: '*', name: 'Star' }, 400, 'invalid-item-id'],
    ['system id prefix', 'P', { id: ':_system:x', name: 'Sys' }, 400, 'invalid-item-id'],
    ['missing name', 'P', { id: 'nameless' }, 400, 'invalid-parameters-format'],
    ['empty name', 'P', { name: '' }, 400, 'invalid-parameters-format'],
    ['unknown field', 'P', { name: 'X', color: 'red' }, 400, 'invalid-parameters-format'],
    ['manage on parent', 'healthManager', { id: 'by-app', name: 'By app', parentId: 'heart' }, 201, { id: 'by-app', createdBy: expect.any(String) }],
    ['root needs manage on *', 'healthManager', { name: 'Root by app' }, 403, 'forbidden'],
    ['no manage on that parent', 'healthManager', { name: 'Elsewhere', parentId: 'work' }, 403, 'forbidden'],
    ['contribute is not manage', 'healthContributor', { name: 'Nope', parentId: 'health' }, 403, 'forbidden'],
    ['manage on * creates roots', 'rootManager', { id: 'app-root', name: 'App root' }, 201, { id: 'app-root', parentId: null }],
  ])('%s', async (_n, who, payload, status, expected) => {
    const { status: s, body } = await call(who, 'POST', '/streams', payload);
    expect(s).toBe(status);
    if (typeof expected === 'string') {
      expect(body['error'].id).toBe(expected);
      expect(changes).toEqual([]);
    } else {
      expect(body['stream']).toMatchObject(expected);
      expect(body['meta'].serverTime).toBeTypeOf('number');
      expect(changes).toEqual(['streamsChanged']);
    }
  });

  it('409 data names the clashing key', async () => {
    expect((await call('P', 'POST', '/streams', { id: 'health', name: 'Fresh name' })).body['error'].data).toEqual({ id: 'health' });
    expect((await call('P', 'POST', '/streams', { name: 'Sleep', parentId: 'health' })).body['error'].data).toEqual({ name: 'Sleep' });
  });

  it('tracks the creating access', async () => {
    const info = await call('healthManager', 'GET', '/access-info');
    const { body } = await call('healthManager', 'POST', '/streams', { name: 'Tracked', parentId: 'health' });
    expect(body['stream']).toMatchObject({ createdBy: info.body['id'], modifiedBy: info.body['id'] });
  });
});

describe('streams.update', () => {
  beforeAll(async () => {
    await call('P', 'POST', '/streams', { id: 'upd', name: 'Upd', parentId: 'work', clientData: { keep: 1, drop: 2 } });
    await call('P', 'POST', '/streams', { id: 'upd-child', name: 'Upd child', parentId: 'upd' });
  });

  it.each<[string, string, string, Record<string, unknown>, number, string | Record<string, unknown>]>([
    ['rename', 'P', 'upd', { name: 'Renamed' }, 200, { id: 'upd', name: 'Renamed' }],
    ['clientData merge, null deletes', 'P', 'upd', { clientData: { drop: null, add: 3 } }, 200, { clientData: { keep: 1, add: 3 } }],
    ['move', 'P', 'upd', { parentId: 'health' }, 200, { parentId: 'health' }],
    ['move back to root', 'P', 'upd', { parentId: null }, 200, { parentId: null }],
    ['own id as parent', 'P', 'upd', { parentId: 'upd' }, 400, 'invalid-operation'],
    ['under its own child', 'P', 'upd', { parentId: 'upd-child' }, 400, 'invalid-operation'],
    ['unknown new parent', 'P', 'upd', { parentId: 'nope' }, 400, 'unknown-referenced-resource'],
    ['sibling name clash', 'P', 'upd', { name: 'Health' }, 409, 'item-already-exists'],
    ['unknown stream', 'P', 'nope', { name: 'X' }, 404, 'unknown-resource'],
    ['read is not manage', 'workReader', 'notes', { name: 'X' }, 403, 'forbidden'],
    ['move needs manage on the new parent', 'healthManager', 'sleep', { parentId: 'work' }, 403, 'forbidden'],
    ['read-only field (403 as the reference)', 'P', 'upd', { children: [] }, 403, 'forbidden'],
    ['manage in its scope', 'healthManager', 'sleep', { name: 'Sleeping' }, 200, { name: 'Sleeping' }],
  ])('%s', async (_n, who, id, update, status, expected) => {
    const { status: s, body } = await call(who, 'PUT', `/streams/${id}`, update);
    expect(s).toBe(status);
    if (typeof expected === 'string') {
      expect(body['error'].id).toBe(expected);
    } else {
      expect(body['stream']).toMatchObject(expected);
      expect(body['stream']).not.toHaveProperty('children');
      expect(changes).toEqual(['streamsChanged']);
    }
  });

  it('trashes and untrashes through update', async () => {
    expect((await call('P', 'PUT', '/streams/upd-child', { trashed: true })).body['stream'].trashed).toBe(true);
    expect((await call('P', 'PUT', '/streams/upd-child', { trashed: false })).body['stream'].trashed).toBe(false);
  });
});

describe('streams.delete', () => {
  async function event(streamIds: string[]): Promise<string> {
    const { status, body } = await call('P', 'POST', '/events', { streamIds, type: 'note/txt', content: 'x' });
    expect(status).toBe(201);
    return body['event'].id as string;
  }
  async function streamIdsOf(id: string): Promise<string[] | null> {
    const res = await call('P', 'GET', `/events/${id}`);
    return res.status === 404 ? null : (res.body['event'].streamIds as string[]);
  }

  it('trashes first, then deletes the subtree and records deletions', async () => {
    const since = Date.now() / 1000 - 1;
    await call('P', 'POST', '/streams', { id: 'del', name: 'Del' });
    await call('P', 'POST', '/streams', { id: 'del-child', name: 'Del child', parentId: 'del' });
    changes = [];
    const first = await call('P', 'DELETE', '/streams/del');
    expect(first.status).toBe(200);
    expect(first.body['stream']).toMatchObject({ id: 'del', trashed: true });
    const second = await call('P', 'DELETE', '/streams/del');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ streamDeletion: { id: 'del', deleted: expect.any(Number) }, updatedEvents: [] });
    expect(changes).toEqual(['streamsChanged', 'streamsChanged']);
    const after = await call('P', 'GET', `/streams?state=all&includeDeletionsSince=${since}`);
    expect(JSON.stringify(after.body['streams'])).not.toContain('"del');
    expect(after.body['streamDeletions'].map((d: { id: string }) => d.id).sort()).toEqual(['del', 'del-child']);
    expect((await call('P', 'DELETE', '/streams/del')).status).toBe(404);
  });

  it('requires mergeEventsWithParent when events reference the subtree', async () => {
    await call('P', 'POST', '/streams', { id: 'm0', name: 'M0' });
    await event(['m0']);
    await call('P', 'DELETE', '/streams/m0');
    const res = await call('P', 'DELETE', '/streams/m0');
    expect(res.status).toBe(400);
    expect(res.body['error'].id).toBe('invalid-parameters-format');
  });

  it('mergeEventsWithParent=true moves events to the parent', async () => {
    await call('P', 'POST', '/streams', { id: 'm-parent', name: 'M parent' });
    await call('P', 'POST', '/streams', { id: 'm1', name: 'M1', parentId: 'm-parent' });
    await call('P', 'POST', '/streams', { id: 'm1-child', name: 'M1 child', parentId: 'm1' });
    const only = await event(['m1-child']);
    const mixed = await event(['work', 'm1']);
    await call('P', 'DELETE', '/streams/m1');
    changes = [];
    const res = await call('P', 'DELETE', '/streams/m1?mergeEventsWithParent=true');
    expect(res.status).toBe(200);
    expect(res.body['updatedEvents']).toEqual(
      expect.arrayContaining([
        { id: only, action: 'mergedToParent' },
        { id: mixed, action: 'mergedToParent' },
      ]),
    );
    expect(await streamIdsOf(only)).toEqual(['m-parent']);
    expect(await streamIdsOf(mixed)).toEqual(['work', 'm-parent']);
    expect(changes.sort()).toEqual(['eventsChanged', 'streamsChanged']);
  });

  it('mergeEventsWithParent=false deletes events only in the subtree and strips the others', async () => {
    await call('P', 'POST', '/streams', { id: 'm2', name: 'M2' });
    const only = await event(['m2']);
    const mixed = await event(['m2', 'work']);
    await call('P', 'DELETE', '/streams/m2');
    const res = await call('P', 'DELETE', '/streams/m2?mergeEventsWithParent=false');
    expect(res.status).toBe(200);
    expect(res.body['updatedEvents']).toEqual(
      expect.arrayContaining([
        { id: only, action: 'deleted' },
        { id: mixed, action: 'updatedStreamIds' },
      ]),
    );
    expect(await streamIdsOf(only)).toBeNull();
    expect(await streamIdsOf(mixed)).toEqual(['work']);
  });

  it('cannot merge the events of a root stream into a parent', async () => {
    await call('P', 'POST', '/streams', { id: 'm3', name: 'M3' });
    await event(['m3']);
    await call('P', 'DELETE', '/streams/m3');
    const res = await call('P', 'DELETE', '/streams/m3?mergeEventsWithParent=true');
    expect(res.status).toBe(400);
    expect(res.body['error'].id).toBe('invalid-operation');
  });

  it.each<[string, string, string, number, string]>([
    ['unknown', 'P', 'nope', 404, 'unknown-resource'],
    ['read access', 'workReader', 'notes', 403, 'forbidden'],
    ['contribute access', 'healthContributor', 'sleep', 403, 'forbidden'],
  ])('%s (%s deletes %s) → %i %s', async (_n, who, id, status, errorId) => {
    const res = await call(who, 'DELETE', `/streams/${id}`);
    expect(res.status).toBe(status);
    expect(res.body['error'].id).toBe(errorId);
    expect(changes).toEqual([]);
  });
});
