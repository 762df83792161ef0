import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import type { Permission } from '../../src/domain/types.js';

let t: ApiTestApp;
beforeAll(async () => {
  t = await createApiTestApp();
});
afterAll(async () => {
  await t?.close();
});

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (u: TestUser, token: string, method: Verb, path: string, payload?: object) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });

const now = () => Date.now() / 1000;
const read = (streamId: string): Permission => ({ streamId, level: 'read' });

async function personalId(u: TestUser): Promise<string> {
  return (await call(u, u.token, 'GET', '/access-info')).json().id as string;
}

describe('accesses.create', () => {
  it('creates a shared access by default for a personal caller, with token, apiEndpoint and notification', async () => {
    const u = await t.createUser();
    const emit = vi.spyOn(t.services.notifier, 'emit');
    const res = await call(u, u.token, 'POST', '/accesses', { name: 'share', permissions: [read('diary')] });
    expect(res.statusCode).toBe(201);
    const { access } = res.json();
    expect(access).toMatchObject({ type: 'shared', name: 'share', deviceName: null, permissions: [read('diary')], createdBy: await personalId(u) });
    expect(new URL(access.apiEndpoint)).toMatchObject({ username: access.token, pathname: `/${u.username}/` });
    expect(access).not.toHaveProperty('calls');
    expect(emit).toHaveBeenCalledWith(u.username, 'accessesChanged');
    emit.mockRestore();
    const info = await call(u, access.token, 'GET', '/access-info');
    expect(info.json()).toMatchObject({ id: access.id, type: 'shared' });
  });

  it('slugifies a chosen token and turns expireAfter into expires', async () => {
    const u = await t.createUser();
    const res = await call(u, u.token, 'POST', '/accesses', { name: 'a', type: 'app', deviceName: 'phone', token: 'My Token!', expireAfter: 60, permissions: [read('x')] });
    expect(res.statusCode).toBe(201);
    const { access } = res.json();
    expect(access).toMatchObject({ token: 'My-Token', type: 'app', deviceName: 'phone' });
    expect(access.expires).toBeGreaterThan(now() + 50);
    expect((await call(u, 'My-Token', 'GET', '/access-info')).statusCode).toBe(200);
  });

  it('creates missing defaultName streams at the root and restores trashed ones (personal caller only)', async () => {
    const u = await t.createUser();
    const at = now();
    const base = { parentId: null, clientData: null, created: at, createdBy: 'test', modified: at, modifiedBy: 'test' };
    await t.services.stores.streams.create(u.user.id, { ...base, id: 'old', name: 'Old', trashed: true });
    const permissions = [
      { streamId: 'fresh', level: 'contribute', defaultName: 'Fresh', name: 'ignored' },
      { streamId: 'old', level: 'read', defaultName: 'Old' },
      { streamId: '*', level: 'read', defaultName: 'Everything' },
    ];
    const res = await call(u, u.token, 'POST', '/accesses', { name: 'app', type: 'app', permissions });
    expect(res.statusCode).toBe(201);
    expect(res.json().access.permissions).toEqual([{ streamId: 'fresh', level: 'contribute' }, read('old'), read('*')]);
    expect(await t.services.stores.streams.get(u.user.id, 'fresh')).toMatchObject({ name: 'Fresh', parentId: null, trashed: false });
    expect(await t.services.stores.streams.get(u.user.id, 'old')).toMatchObject({ trashed: false });
    expect(await t.services.stores.streams.get(u.user.id, '*')).toBeNull();
  });

  it('lets an app create narrower shared accesses: createdBy, secretSharing and expiry pass down', async () => {
    const u = await t.createUser();
    const at = now();
    const base = { clientData: null, trashed: false, created: at, createdBy: 'test', modified: at, modifiedBy: 'test' };
    await t.services.stores.streams.create(u.user.id, { ...base, id: 'diary', name: 'Diary', parentId: null });
    await t.services.stores.streams.create(u.user.id, { ...base, id: 'diary-sub', name: 'Sub', parentId: 'diary' });
    const app = await t.createAccess(u, {
      type: 'app',
      permissions: [{ streamId: 'diary', level: 'manage' }, { feature: 'secretSharing', setting: 'forbidden' }],
      expires: now() + 3600,
    });
    const res = await call(u, `${app.token} caller-1`, 'POST', '/accesses', { name: 'child', permissions: [{ streamId: 'diary', level: 'contribute' }, read('diary-sub')] });
    // diary-sub inherits manage from diary.
    expect(res.statusCode).toBe(201);
    const { access } = res.json();
    expect(access.createdBy).toBe(`${app.id} caller-1`);
    expect(access.permissions).toContainEqual({ feature: 'secretSharing', setting: 'forbidden' });
    expect(access.expires).toBe(app.expires);
    // The app lists it although createdBy carries a caller id.
    const list = await call(u, app.token, 'GET', '/accesses');
    expect(list.json().accesses.map((a: { id: string }) => a.id)).toEqual([access.id]);
  });
});

describe('accesses.create refusals', () => {
  type Caller = 'personal' | 'app' | 'create-only-app' | 'expiring-app' | 'no-revoke-app' | 'shared';
  const callers: Record<Exclude<Caller, 'personal'>, { type: 'app' | 'shared'; permissions: Permission[]; expires?: number }> = {
    app: { type: 'app', permissions: [{ streamId: 'diary', level: 'contribute' }] },
    'create-only-app': { type: 'app', permissions: [{ streamId: 'diary', level: 'create-only' }] },
    'expiring-app': { type: 'app', permissions: [{ streamId: 'diary', level: 'read' }], expires: now() + 3600 },
    'no-revoke-app': { type: 'app', permissions: [read('diary'), { feature: 'selfRevoke', setting: 'forbidden' }] },
    shared: { type: 'shared', permissions: [{ streamId: '*', level: 'manage' }] },
  };
  it.each<[string, Caller, object, number, string, object?]>([
    ['a personal type', 'personal', { name: 'p', type: 'personal', permissions: [] }, 403, 'forbidden'],
    ['any access from a shared access', 'shared', { name: 's', permissions: [read('diary')] }, 403, 'forbidden'],
    ['a bad level', 'personal', { name: 'l', permissions: [{ streamId: 'diary', level: 'admin' }] }, 400, 'invalid-parameters-format'],
    ['a bad feature setting', 'personal', { name: 'f', permissions: [{ feature: 'selfRevoke', setting: 'maybe' }] }, 400, 'invalid-parameters-format'],
    ['a missing name', 'personal', { permissions: [] }, 400, 'invalid-parameters-format'],
    ['a negative expireAfter', 'personal', { name: 'e', expireAfter: -1, permissions: [] }, 400, 'invalid-parameters-format'],
    ['the reserved token "null"', 'personal', { name: 't', token: 'null', permissions: [] }, 400, 'invalid-item-id'],
    ['the reserved token "*"', 'personal', { name: 't', token: '*', permissions: [] }, 400, 'invalid-item-id'],
    ['an app access from an app', 'app', { name: 'a', type: 'app', permissions: [read('diary')] }, 403, 'forbidden'],
    ['no stream permission from an app', 'app', { name: 'n', permissions: [] }, 403, 'forbidden'],
    ['a higher level from an app', 'app', { name: 'h', permissions: [{ streamId: 'diary', level: 'manage' }] }, 403, 'forbidden'],
    ['an unreachable stream from an app', 'app', { name: 'u', permissions: [read('other')] }, 403, 'forbidden'],
    ['a "*" permission from an app without one', 'app', { name: 'x', permissions: [read('*')] }, 403, 'forbidden'],
    ['anything from a create-only grant', 'create-only-app', { name: 'c', permissions: [{ streamId: 'diary', level: 'create-only' }] }, 403, 'forbidden'],
    ['a weaker selfRevoke than the app', 'no-revoke-app', { name: 'r', permissions: [read('diary'), { feature: 'selfRevoke', setting: 'allowed' }] }, 403, 'forbidden'],
    ['a child outliving its app', 'expiring-app', { name: 'o', expireAfter: 7200, permissions: [read('diary')] }, 400, 'invalid-operation', { parentExpires: expect.any(Number), requestedExpires: expect.any(Number) }],
  ])('refuses %s', async (_n, who, payload, status, id, data) => {
    const u = await t.createUser();
    const token = who === 'personal' ? u.token : (await t.createAccess(u, callers[who])).token;
    const res = await call(u, token, 'POST', '/accesses', payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
    if (data !== undefined) expect(res.json().error.data).toEqual(data);
    expect(res.json().meta.serverTime).toBeTypeOf('number');
  });

  it('answers 409 for a taken token (hidden) and a taken type+name+deviceName, creating no stream', async () => {
    const u = await t.createUser();
    await call(u, u.token, 'POST', '/accesses', { name: 'app', type: 'app', deviceName: 'pc', token: 'taken-token', permissions: [] });
    const token = await call(u, u.token, 'POST', '/accesses', { name: 'other', token: 'taken-token', permissions: [] });
    expect(token.statusCode).toBe(409);
    expect(token.json().error).toMatchObject({ id: 'item-already-exists', data: { token: '(hidden)' } });
    const name = await call(u, u.token, 'POST', '/accesses', { name: 'app', type: 'app', deviceName: 'pc', permissions: [{ streamId: 'new', level: 'read', defaultName: 'New' }] });
    expect(name.statusCode).toBe(409);
    expect(name.json().error.data).toEqual({ type: 'app', name: 'app', deviceName: 'pc' });
    expect(await t.services.stores.streams.get(u.user.id, 'new')).toBeNull();
    // Same name on another device is another access.
    expect((await call(u, u.token, 'POST', '/accesses', { name: 'app', type: 'app', deviceName: 'phone', permissions: [] })).statusCode).toBe(201);
  });
});

describe('tokens at rest', () => {
  it('keeps no token readable in the database, though accesses.get shows them', async () => {
    const u = await t.createUser();
    const chosen = (await call(u, u.token, 'POST', '/accesses', { name: 'c', token: 'visible-in-api-only', permissions: [] })).json().access.token;
    const minted = (await call(u, u.token, 'POST', '/accesses', { name: 'm', permissions: [] })).json().access.token;
    const listed = (await call(u, u.token, 'GET', '/accesses')).json().accesses.map((a: { token: string }) => a.token);
    // Every row or document of the database as text: no field equals or contains a token.
    const stored = await t.storedText();
    expect(stored).toContain(u.user.id);
    for (const token of [u.token, chosen, minted]) {
      expect(listed).toContain(token);
      expect(stored).not.toContain(token);
    }
  });
});

describe('accesses.get / accesses.getOne', () => {
  it('lists every live access to P, only its own creations to A, and refuses S', async () => {
    const u = await t.createUser();
    const pid = await personalId(u);
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }], createdBy: pid });
    const child = (await call(u, app.token, 'POST', '/accesses', { name: 'child', permissions: [read('s')] })).json().access;
    const expired = await t.createAccess(u, { type: 'shared', permissions: [read('s')], expires: now() - 10, createdBy: app.id });
    const shared = await t.createAccess(u, { type: 'shared', permissions: [read('s')] });
    const ids = async (token: string, query = '') => (await call(u, token, 'GET', `/accesses${query}`)).json().accesses.map((a: { id: string }) => a.id).sort();

    expect(await ids(u.token)).toEqual([pid, app.id, child.id, shared.id].sort());
    expect(await ids(u.token, '?includeExpired=true')).toEqual([pid, app.id, child.id, shared.id, expired.id].sort());
    expect(await ids(app.token)).toEqual([child.id]);
    expect(await ids(app.token, '?includeExpired=true')).toEqual([child.id, expired.id].sort());
    const refused = await call(u, shared.token, 'GET', '/accesses');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.id).toBe('forbidden');
  });

  it('adds accessDeletions with includeDeletions', async () => {
    const u = await t.createUser();
    const gone = (await call(u, u.token, 'POST', '/accesses', { name: 'gone', permissions: [] })).json().access;
    await call(u, u.token, 'DELETE', `/accesses/${gone.id}`);
    const res = (await call(u, u.token, 'GET', '/accesses?includeDeletions=true')).json();
    expect(res.accesses.map((a: { id: string }) => a.id)).not.toContain(gone.id);
    expect(res.accessDeletions).toEqual([expect.objectContaining({ id: gone.id, deleted: expect.any(Number) })]);
    expect((await call(u, u.token, 'GET', '/accesses')).json()).not.toHaveProperty('accessDeletions');
  });

  it.each<[string, 'personal' | 'app' | 'shared', 'child' | 'self' | 'stranger' | 'unknown', number, string?]>([
    ['P reads any access', 'personal', 'stranger', 200],
    ['A reads itself', 'app', 'self', 200],
    ['A reads its child', 'app', 'child', 200],
    ['A cannot see another access', 'app', 'stranger', 404, 'unknown-resource'],
    ['S is refused', 'shared', 'self', 403, 'forbidden'],
    ['an unknown id', 'personal', 'unknown', 404, 'unknown-resource'],
  ])('getOne: %s', async (_n, who, target, status, errorId) => {
    const u = await t.createUser();
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }] });
    const shared = await t.createAccess(u, { type: 'shared', permissions: [read('x')] });
    const child = (await call(u, app.token, 'POST', '/accesses', { name: 'child', permissions: [read('x')] })).json().access;
    const stranger = await t.createAccess(u, { type: 'shared', permissions: [read('y')] });
    const token = { personal: u.token, app: app.token, shared: shared.token }[who];
    const self = who === 'app' ? app.id : shared.id;
    const id = { child: child.id, self, stranger: stranger.id, unknown: 'cnosuchaccess' }[target];
    const res = await call(u, token, 'GET', `/accesses/${id}`);
    expect(res.statusCode).toBe(status);
    if (errorId === undefined) expect(res.json().access).toMatchObject({ id, token: expect.any(String), apiEndpoint: expect.any(String) });
    else expect(res.json().error.id).toBe(errorId);
  });
});

describe('accesses.delete', () => {
  it.each<[string, 'personal' | 'app' | 'no-revoke-app' | 'shared', 'self' | 'child' | 'other', number, string?]>([
    ['P deletes any access', 'personal', 'other', 200],
    ['A deletes its child', 'app', 'child', 200],
    ['A deletes itself', 'app', 'self', 200],
    ['A cannot delete another access', 'app', 'other', 403, 'forbidden'],
    ['A with selfRevoke forbidden cannot delete itself', 'no-revoke-app', 'self', 403, 'forbidden'],
    ['S deletes itself', 'shared', 'self', 200],
    ['S cannot delete another access', 'shared', 'other', 403, 'forbidden'],
  ])('%s', async (_n, who, target, status, errorId) => {
    const u = await t.createUser();
    const permissions: Permission[] = [{ streamId: '*', level: 'read' }, ...(who === 'no-revoke-app' ? [{ feature: 'selfRevoke', setting: 'forbidden' } as const] : [])];
    const caller = who === 'personal' ? null : await t.createAccess(u, { type: who === 'shared' ? 'shared' : 'app', permissions });
    const token = caller?.token ?? u.token;
    const child = caller === null ? null : (await call(u, token, 'POST', '/accesses', { name: 'child', permissions: [read('x')] })).json().access;
    const other = await t.createAccess(u, { type: 'shared', permissions: [read('x')] });
    const id = target === 'self' ? caller?.id : target === 'child' ? child?.id : other.id;
    const res = await call(u, token, 'DELETE', `/accesses/${id}`);
    expect(res.statusCode).toBe(status);
    if (errorId !== undefined) expect(res.json().error.id).toBe(errorId);
    else expect(res.json().accessDeletion).toEqual({ id });
  });

  it('cascades from an app to the accesses it created, and the deleted tokens fail at once', async () => {
    const u = await t.createUser();
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }] });
    const kids = [];
    for (const name of ['k1', 'k2']) kids.push((await call(u, `${app.token} cid`, 'POST', '/accesses', { name, permissions: [read('x')] })).json().access);
    const bystander = await t.createAccess(u, { type: 'shared', permissions: [read('x')] });
    // Warm this worker's token cache so that the refusal below proves the invalidation.
    for (const token of [app.token, ...kids.map((k) => k.token)]) expect((await call(u, token, 'GET', '/access-info')).statusCode).toBe(200);

    const emit = vi.spyOn(t.services.notifier, 'emit');
    const res = await call(u, u.token, 'DELETE', `/accesses/${app.id}`);
    expect(res.statusCode).toBe(200);
    expect(emit.mock.calls).toEqual([[u.username, 'accessesChanged']]);
    emit.mockRestore();
    expect(res.json().accessDeletion).toEqual({ id: app.id });
    expect(res.json().relatedDeletions.map((d: { id: string }) => d.id).sort()).toEqual(kids.map((k) => k.id).sort());
    for (const token of [app.token, ...kids.map((k) => k.token)]) {
      const after = await call(u, token, 'GET', '/access-info');
      expect(after.statusCode).toBe(403);
      expect(after.json().error.id).toBe('invalid-access-token');
      expect(after.json().error.message).toContain('Cannot find access from token.');
    }
    expect((await call(u, bystander.token, 'GET', '/access-info')).statusCode).toBe(200);
    expect((await call(u, u.token, 'DELETE', `/accesses/${app.id}`)).statusCode).toBe(404);
  });

  it('does not cascade from a personal access', async () => {
    const u = await t.createUser();
    const login = await t.app.inject({
      method: 'POST', url: `/${u.username}/auth/login`, headers: { origin: 'http://127.0.0.1:3000' },
      payload: { username: u.username, password: u.password, appId: 'second-session' },
    });
    const session = login.json().token as string;
    const made = (await call(u, session, 'POST', '/accesses', { name: 'kept', type: 'app', permissions: [read('x')] })).json().access;
    const sessionId = (await call(u, session, 'GET', '/access-info')).json().id;
    const res = await call(u, u.token, 'DELETE', `/accesses/${sessionId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).not.toHaveProperty('relatedDeletions');
    expect((await call(u, made.token, 'GET', '/access-info')).statusCode).toBe(200);
    expect((await call(u, session, 'GET', '/access-info')).statusCode).toBe(403);
  });

  it('refuses an expired access with 403 forbidden', async () => {
    const u = await t.createUser();
    const old = await t.createAccess(u, { type: 'shared', permissions: [read('x')], expires: now() - 1 });
    const res = await call(u, old.token, 'GET', '/access-info');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.id).toBe('forbidden');
  });
});

describe('accesses.checkApp', () => {
  const requested = [{ streamId: 'diary', level: 'contribute', defaultName: 'Diary' }];
  async function withApp(): Promise<{ u: TestUser; app: { id: string; token: string } }> {
    const u = await t.createUser();
    const app = (await call(u, u.token, 'POST', '/accesses', { name: 'my-app', type: 'app', permissions: requested, clientData: { v: 1 } })).json().access;
    return { u, app };
  }

  it('finds the matching app access (same pairs, same clientData)', async () => {
    const { u, app } = await withApp();
    const res = await call(u, u.token, 'POST', '/accesses/check-app', { requestingAppId: 'my-app', requestedPermissions: requested, clientData: { v: 1 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().matchingAccess).toMatchObject({ id: app.id, token: app.token });
    expect(res.json()).not.toHaveProperty('checkedPermissions');
  });

  it.each<[string, object]>([
    ['another level', { requestedPermissions: [{ ...requested[0], level: 'read' }], clientData: { v: 1 } }],
    ['other clientData', { requestedPermissions: requested, clientData: { v: 2 } }],
    ['no clientData', { requestedPermissions: requested }],
  ])('reports a mismatch for %s, with the real stream names', async (_n, params) => {
    const { u, app } = await withApp();
    const res = await call(u, u.token, 'POST', '/accesses/check-app', { requestingAppId: 'my-app', ...params });
    expect(res.statusCode).toBe(200);
    expect(res.json().mismatchingAccess.id).toBe(app.id);
    expect(res.json().checkedPermissions[0]).toMatchObject({ streamId: 'diary', name: 'Diary' });
    expect(res.json().checkedPermissions[0]).not.toHaveProperty('defaultName');
  });

  it('proposes another defaultName when a root stream has the name, and flags it', async () => {
    const { u } = await withApp();
    const res = await call(u, u.token, 'POST', '/accesses/check-app', {
      requestingAppId: 'new-app', deviceName: 'pc',
      requestedPermissions: [{ streamId: 'journal', level: 'read', defaultName: 'Diary' }, { streamId: '*', level: 'read' }],
    });
    expect(res.json()).not.toHaveProperty('mismatchingAccess');
    expect(res.json().checkedPermissions).toEqual([{ streamId: 'journal', level: 'read', defaultName: 'Diary (1)' }, { streamId: '*', level: 'read' }]);
    expect(res.json().error.id).toBe('item-already-exists');
  });

  it.each<[string, 'personal' | 'app', object, number, string]>([
    ['a missing defaultName', 'personal', { requestingAppId: 'a', requestedPermissions: [read('diary')] }, 400, 'invalid-parameters-format'],
    ['a non-personal caller', 'app', { requestingAppId: 'a', requestedPermissions: [] }, 403, 'forbidden'],
  ])('refuses %s', async (_n, who, payload, status, id) => {
    const u = await t.createUser();
    const token = who === 'personal' ? u.token : (await t.createAccess(u, { type: 'app', permissions: [read('*')] })).token;
    const res = await call(u, token, 'POST', '/accesses/check-app', payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });
});

describe('batch', () => {
  it('reaches the accesses methods with the same rules', async () => {
    const u = await t.createUser();
    const res = await t.app.inject({
      method: 'POST', url: `/${u.username}/`, headers: { authorization: u.token },
      payload: [
        { method: 'accesses.create', params: { name: 'b', permissions: [read('x')] } },
        { method: 'accesses.create', params: { name: 'b', permissions: [read('x')] } },
        { method: 'accesses.get', params: {} },
      ],
    });
    const { results } = res.json();
    expect(results[0].access.name).toBe('b');
    expect(results[1].error.id).toBe('item-already-exists');
    expect(results[2].accesses.map((a: { name: string }) => a.name)).toContain('b');
  });
});
