import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import type { Level, Permission } from '../../src/domain/types.js';

/** Pryv API §3.4 accesses.update (v2 versioning) and the composite ids it gives accesses. */

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
const perm = (streamId: string, level: Level): Permission => ({ streamId, level });

interface Made {
  id: string;
  token: string;
}

/** A user with streams diary ── diary-sub and work; `make` creates an access through the API. */
async function setup(): Promise<{ u: TestUser; make: (token: string, body: object) => Promise<Made> }> {
  const u = await t.createUser();
  const at = now();
  const base = { clientData: null, trashed: false, created: at, createdBy: 'test', modified: at, modifiedBy: 'test' };
  await t.services.stores.streams.create(u.user.id, { ...base, id: 'diary', name: 'Diary', parentId: null });
  await t.services.stores.streams.create(u.user.id, { ...base, id: 'diary-sub', name: 'Sub', parentId: 'diary' });
  await t.services.stores.streams.create(u.user.id, { ...base, id: 'work', name: 'Work', parentId: null });
  const make = async (token: string, body: object): Promise<Made> => {
    const res = await call(u, token, 'POST', '/accesses', body);
    expect(res.statusCode).toBe(201);
    return res.json().access as Made;
  };
  return { u, make };
}

const update = (u: TestUser, token: string, id: string, body: object) => call(u, token, 'PUT', `/accesses/${id}`, body);

describe('accesses.update by a personal access', () => {
  it('bumps the serial, returns the composite id, keeps the token working and shows the new version everywhere', async () => {
    const { u, make } = await setup();
    const shared = await make(u.token, { name: 'share', permissions: [perm('diary', 'read')] });
    // Warm this worker's token cache: the update must not be hidden by it.
    expect((await call(u, shared.token, 'GET', '/access-info')).json().name).toBe('share');
    const emit = vi.spyOn(t.services.notifier, 'emit');
    const res = await update(u, u.token, shared.id, { name: 'renamed', permissions: [perm('work', 'contribute')], clientData: { v: 2 } });
    expect(res.statusCode).toBe(200);
    expect(emit.mock.calls).toEqual([
      [u.username, 'accessesChanged'],
      [u.username, 'accessUpdated', { type: 'access-updated', accessId: `${shared.id}:1`, serial: 1 }],
    ]);
    emit.mockRestore();
    const v1 = res.json().access;
    expect(v1).toMatchObject({ id: `${shared.id}:1`, token: shared.token, name: 'renamed', permissions: [perm('work', 'contribute')], clientData: { v: 2 } });
    expect(v1.modifiedBy).toBe((await call(u, u.token, 'GET', '/access-info')).json().id);

    const info = await call(u, shared.token, 'GET', '/access-info');
    expect(info.statusCode).toBe(200);
    expect(info.headers['pryv-access-id']).toBe(`${shared.id}:1`);
    expect(info.json()).toMatchObject({ id: `${shared.id}:1`, name: 'renamed', permissions: [perm('work', 'contribute')] });
    const listed = (await call(u, u.token, 'GET', '/accesses')).json().accesses.map((a: Made) => a.id);
    expect(listed).toContain(`${shared.id}:1`);
    expect(listed).not.toContain(shared.id);

    const v2 = await update(u, u.token, `${shared.id}:1`, { name: 'again' });
    expect(v2.json().access.id).toBe(`${shared.id}:2`);
    // Usage is still counted on the access across versions.
    await t.services.accessCache.flush();
    expect((await t.services.stores.accesses.getById(u.user.id, shared.id))?.calls['getAccessInfo']).toBeGreaterThan(0);
  });

  it('turns expireAfter into expires, and expires: null removes it', async () => {
    const { u, make } = await setup();
    const shared = await make(u.token, { name: 'e', permissions: [perm('diary', 'read')] });
    const set = (await update(u, u.token, shared.id, { expireAfter: 3600 })).json().access;
    expect(set.expires).toBeGreaterThan(now() + 3500);
    expect(set.expires).toBeLessThan(now() + 3700);
    const cleared = await update(u, u.token, set.id, { expires: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().access.expires).toBeNull();
    const expired = await update(u, u.token, cleared.json().access.id, { expireAfter: 0 });
    expect(expired.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect((await call(u, shared.token, 'GET', '/access-info')).json().error.id).toBe('forbidden');
  });
});

describe('accesses.update: versions and stale ids', () => {
  it.each<[string, (id: string) => string, 'PUT' | 'DELETE', number, string, number?]>([
    ['the bare id after an update', (id) => id, 'PUT', 409, 'stale-resource', 2],
    ['an older composite id', (id) => `${id}:1`, 'PUT', 409, 'stale-resource', 2],
    ['a serial that never existed', (id) => `${id}:3`, 'PUT', 404, 'unknown-resource'],
    ['a ":0" suffix', (id) => `${id}:0`, 'PUT', 404, 'unknown-resource'],
    ['delete by an older composite id', (id) => `${id}:1`, 'DELETE', 409, 'stale-resource', 2],
  ])('refuses %s', async (_n, idOf, verb, status, errorId, currentSerial) => {
    const { u, make } = await setup();
    const a = await make(u.token, { name: 'v0', permissions: [perm('diary', 'read')] });
    await update(u, u.token, a.id, { name: 'v1' });
    await update(u, u.token, `${a.id}:1`, { name: 'v2' });
    const provided = idOf(a.id);
    const res = await call(u, u.token, verb, `/accesses/${provided}`, verb === 'PUT' ? { name: 'v3' } : undefined);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(errorId);
    if (currentSerial !== undefined) expect(res.json().error.data).toEqual({ provided, currentSerial });
  });

  it('getOne: the bare or current id gives the live version; an older one gives that version plus current; includeHistory lists the past', async () => {
    const { u, make } = await setup();
    const a = await make(u.token, { name: 'v0', permissions: [perm('diary', 'read')] });
    expect((await call(u, u.token, 'GET', `/accesses/${a.id}?includeHistory=true`)).json()).toMatchObject({ access: { id: a.id }, history: [] });
    await update(u, u.token, a.id, { name: 'v1', permissions: [perm('diary', 'contribute')] });
    await update(u, u.token, `${a.id}:1`, { name: 'v2' });

    for (const id of [a.id, `${a.id}:2`]) {
      const live = (await call(u, u.token, 'GET', `/accesses/${id}`)).json();
      expect(live).toEqual({ access: expect.objectContaining({ id: `${a.id}:2`, name: 'v2' }), meta: expect.anything() });
    }
    const old = (await call(u, u.token, 'GET', `/accesses/${a.id}:1`)).json();
    expect(old.access).toMatchObject({ id: `${a.id}:1`, name: 'v1', permissions: [perm('diary', 'contribute')], token: a.token });
    expect(old.current).toMatchObject({ id: `${a.id}:2`, name: 'v2' });
    expect(old).not.toHaveProperty('history');

    const withHistory = (await call(u, u.token, 'GET', `/accesses/${a.id}:2?includeHistory=true`)).json();
    expect(withHistory.history.map((v: { id: string; name: string }) => [v.id, v.name])).toEqual([[`${a.id}:1`, 'v1'], [a.id, 'v0']]);
    expect(withHistory.history[1]).toMatchObject({ permissions: [perm('diary', 'read')], token: a.token, apiEndpoint: expect.any(String) });
    // Past versions are kept without the token, like the live access: nowhere in the database.
    const stored = await t.storedText();
    expect(stored).toContain('v1');
    expect(stored).not.toContain(a.token);
    // Deletion takes the bare id too and reports the current one.
    expect((await call(u, u.token, 'DELETE', `/accesses/${a.id}`)).json().accessDeletion).toEqual({ id: `${a.id}:2` });
  });

  it('of concurrent updates from the same version, exactly one wins', async () => {
    const { u, make } = await setup();
    const a = await make(u.token, { name: 'race', permissions: [perm('diary', 'read')] });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => update(u, u.token, a.id, { name: `race-${n}` })));
    const won = results.filter((r) => r.statusCode === 200);
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode).toBe(409);
      expect(r.json().error).toMatchObject({ id: 'stale-resource', data: { provided: a.id, currentSerial: 1 } });
    }
    const stored = await t.services.stores.accesses.getById(u.user.id, a.id);
    expect(stored).toMatchObject({ serial: 1, name: won[0]?.json().access.name });
    expect(await t.services.stores.accesses.history(u.user.id, a.id)).toHaveLength(1);
  });
});

describe('accesses.update by an app access', () => {
  async function withApp(appPermissions: Permission[], expireAfter?: number) {
    const { u, make } = await setup();
    const app = await make(u.token, { name: 'app', type: 'app', permissions: appPermissions, ...(expireAfter === undefined ? {} : { expireAfter }) });
    const child = await make(app.token, { name: 'child', permissions: [perm('diary', 'read')] });
    return { u, make, app, child };
  }

  it.each<[string, object, number, string?]>([
    ['a narrower level', { permissions: [perm('diary-sub', 'read')] }, 200],
    ['its own level', { permissions: [perm('diary', 'contribute')] }, 200],
    ['a rename and clientData', { name: 'kid', clientData: { a: 1 } }, 200],
    ['a higher level than its own', { permissions: [perm('diary', 'manage')] }, 403, 'forbidden'],
    ['a stream it cannot reach', { permissions: [perm('work', 'read')] }, 403, 'forbidden'],
    ['no stream permission', { permissions: [] }, 403, 'forbidden'],
    ['a deviceName on a shared access', { deviceName: 'pc' }, 400, 'invalid-parameters-format'],
  ])('updates its child with %s → %s', async (_n, body, status, errorId) => {
    const { u, app, child } = await withApp([perm('diary', 'contribute')]);
    const res = await update(u, app.token, child.id, body);
    expect(res.statusCode).toBe(status);
    if (errorId === undefined) expect(res.json().access).toMatchObject({ id: `${child.id}:1`, ...body });
    else expect(res.json().error.id).toBe(errorId);
  });

  it('keeps its children within its own expiry', async () => {
    const { u, app, child } = await withApp([perm('diary', 'manage')], 3600);
    const appExpires = (await call(u, app.token, 'GET', '/access-info')).json().expires;
    const later = await update(u, app.token, child.id, { expireAfter: 7200 });
    expect(later.statusCode).toBe(400);
    expect(later.json().error).toMatchObject({ id: 'invalid-operation', data: { parentExpires: appExpires } });
    const unbounded = await update(u, app.token, child.id, { expires: null });
    expect(unbounded.json().access.expires).toBe(appExpires);
  });

  it('still sees, creates and cascades its children once it was itself updated', async () => {
    const { u, app, child } = await withApp([perm('diary', 'manage')]);
    const appV1 = (await update(u, u.token, app.id, { name: 'app-renamed' })).json().access;
    expect(appV1.id).toBe(`${app.id}:1`);
    const second = (await call(u, `${app.token} cid`, 'POST', '/accesses', { name: 'second', permissions: [perm('diary', 'read')] })).json().access;
    expect(second.createdBy).toBe(`${app.id} cid`);
    const listed = (await call(u, app.token, 'GET', '/accesses')).json().accesses.map((a: Made) => a.id);
    expect(listed.sort()).toEqual([child.id, second.id].sort());
    // The updated app updates its child, reads it, then is deleted with its children.
    const childV1 = await update(u, app.token, child.id, { name: 'child-renamed' });
    expect(childV1.statusCode).toBe(200);
    expect((await call(u, app.token, 'GET', `/accesses/${child.id}:1`)).statusCode).toBe(200);
    const del = (await call(u, u.token, 'DELETE', `/accesses/${appV1.id}`)).json();
    expect(del.accessDeletion).toEqual({ id: appV1.id });
    expect(del.relatedDeletions.map((d: { id: string }) => d.id).sort()).toEqual([`${child.id}:1`, second.id].sort());
  });

  it('refuses narrowing an app below what its live children hold (offendingChildren)', async () => {
    const { u, make, app, child } = await withApp([perm('diary', 'manage')]);
    const writer = await make(app.token, { name: 'writer', permissions: [perm('diary', 'contribute')] });
    const narrow = await update(u, u.token, app.id, { permissions: [perm('diary', 'read')] });
    expect(narrow.statusCode).toBe(400);
    expect(narrow.json().error).toMatchObject({ id: 'invalid-operation', data: { offendingChildren: [writer.id] } });
    const expiring = await update(u, u.token, app.id, { expireAfter: 60 });
    expect(expiring.json().error.data.offendingChildren.sort()).toEqual([child.id, writer.id].sort());
    // Nothing was written by the refused calls; a narrowing that fits every child passes.
    expect((await t.services.stores.accesses.getById(u.user.id, app.id))?.serial).toBe(0);
    expect((await update(u, u.token, app.id, { permissions: [perm('diary', 'contribute')] })).statusCode).toBe(200);
  });
});

describe('accesses.update refusals', () => {
  type Who = 'personal' | 'app' | 'shared';
  type Target = 'personal' | 'self' | 'app-child' | 'other-shared' | 'other-app' | 'unknown';
  it.each<[string, Who, Target, object, number, string]>([
    ['a personal access', 'personal', 'personal', { name: 'x' }, 403, 'forbidden'],
    ['itself (personal)', 'personal', 'self', { name: 'x' }, 403, 'forbidden'],
    ['itself (app)', 'app', 'self', { name: 'x' }, 403, 'forbidden'],
    ['a shared access the app did not create', 'app', 'other-shared', { name: 'x' }, 403, 'forbidden'],
    ['another app access', 'app', 'other-app', { name: 'x' }, 403, 'forbidden'],
    ['anything from a shared access', 'shared', 'app-child', { name: 'x' }, 403, 'forbidden'],
    ['an unknown id', 'personal', 'unknown', { name: 'x' }, 404, 'unknown-resource'],
    ['an unknown key', 'personal', 'other-shared', { name: 'x', colour: 'red' }, 400, 'invalid-parameters-format'],
    ['a read-only field (403 as the reference)', 'personal', 'other-shared', { name: 'x', type: 'app' }, 403, 'forbidden'],
    ['a token change (read-only)', 'personal', 'other-shared', { token: 'new-token' }, 403, 'forbidden'],
    ['an empty update', 'personal', 'other-shared', {}, 400, 'invalid-parameters-format'],
    ['expires other than null', 'personal', 'other-shared', { expires: 123 }, 400, 'invalid-parameters-format'],
    ['expireAfter with expires', 'personal', 'other-shared', { expireAfter: 1, expires: null }, 400, 'invalid-parameters-format'],
    ['a negative expireAfter', 'personal', 'other-shared', { expireAfter: -1 }, 400, 'invalid-parameters-format'],
    ['a bad level', 'personal', 'other-shared', { permissions: [{ streamId: 'diary', level: 'admin' }] }, 400, 'invalid-parameters-format'],
    ['defaultName (no stream creation on update)', 'personal', 'other-shared', { permissions: [{ streamId: 'n', level: 'read', defaultName: 'N' }] }, 400, 'invalid-parameters-format'],
    ['a taken name', 'personal', 'app-child', { name: 'taken' }, 409, 'item-already-exists'],
  ])('refuses %s', async (_n, who, target, body, status, errorId) => {
    const { u, make } = await setup();
    const app = await make(u.token, { name: 'app', type: 'app', permissions: [perm('diary', 'manage')] });
    const child = await make(app.token, { name: 'child', permissions: [perm('diary', 'read')] });
    const shared = await make(u.token, { name: 'taken', permissions: [perm('diary', 'read')] });
    const otherApp = await make(u.token, { name: 'other-app', type: 'app', permissions: [perm('diary', 'read')] });
    const token = { personal: u.token, app: app.token, shared: shared.token }[who];
    const selfId = who === 'app' ? app.id : (await call(u, u.token, 'GET', '/access-info')).json().id;
    const personalId = (await call(u, u.token, 'GET', '/access-info')).json().id;
    const id = { personal: personalId, self: selfId, 'app-child': child.id, 'other-shared': shared.id, 'other-app': otherApp.id, unknown: 'cnosuchaccess' }[target];
    const res = await update(u, token, id, body);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(errorId);
    if (errorId === 'item-already-exists') expect(res.json().error.data).toEqual({ type: 'shared', name: 'taken', deviceName: null });
  });
});

describe('tracking after an update', () => {
  it('records the base access id (no serial) in createdBy/modifiedBy of events written with an updated access', async () => {
    const { u, make } = await setup();
    const shared = await make(u.token, { name: 'writer', permissions: [perm('diary', 'contribute')] });
    expect((await update(u, u.token, shared.id, { name: 'writer-2' })).statusCode).toBe(200);
    const res = await call(u, shared.token, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'hi' });
    expect(res.statusCode).toBe(201);
    expect(res.json().event.createdBy).toBe(shared.id);
    expect(res.json().event.modifiedBy).toBe(shared.id);
  });
});
