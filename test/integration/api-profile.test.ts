import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

let t: ApiTestApp;
beforeAll(async () => {
  t = await createApiTestApp();
});
afterAll(async () => {
  await t?.close();
});

type Kind = 'personal' | 'app' | 'shared' | 'none';

async function tokenOf(u: TestUser, kind: Kind, name?: string): Promise<string | null> {
  if (kind === 'personal') return u.token;
  if (kind === 'none') return null;
  const access = await t.createAccess(u, { type: kind, permissions: [{ streamId: '*', level: 'read' }], ...(name === undefined ? {} : { name }) });
  return access.token;
}

const call = (u: TestUser, method: 'GET' | 'PUT', path: string, token: string | null, payload?: unknown) =>
  t.app.inject({
    method,
    url: `/${u.username}${path}`,
    headers: token === null ? {} : { authorization: token },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

const batch = (u: TestUser, calls: { method: string; params: unknown }[]) =>
  t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: u.token }, payload: calls });

describe('public and private profile sets', () => {
  it('sets keys, deletes keys with null, and keeps public and private apart', async () => {
    const u = await t.createUser();
    const pub = await call(u, 'PUT', '/profile/public', u.token, { name: 'Ada', city: 'Lausanne' });
    expect(pub.statusCode).toBe(200);
    expect(pub.json().profile).toEqual({ name: 'Ada', city: 'Lausanne' });
    const next = await call(u, 'PUT', '/profile/public', u.token, { city: null, avatar: { url: 'https://x.test/a.png' } });
    expect(next.json().profile).toEqual({ name: 'Ada', avatar: { url: 'https://x.test/a.png' } });
    const priv = await call(u, 'PUT', '/profile/private', u.token, { phone: '+41 00' });
    expect(priv.json().profile).toEqual({ phone: '+41 00' });
    expect((await call(u, 'GET', '/profile/public', u.token)).json().profile).toEqual({ name: 'Ada', avatar: { url: 'https://x.test/a.png' } });
    expect((await call(u, 'GET', '/profile/private', u.token)).json().profile).toEqual({ phone: '+41 00' });
  });

  it('starts empty', async () => {
    const u = await t.createUser();
    expect((await call(u, 'GET', '/profile/private', u.token)).json()).toMatchObject({ profile: {}, meta: expect.any(Object) });
  });

  it.each<[string, Kind, 'GET' | 'PUT', string, number, string | null]>([
    ['app reads public', 'app', 'GET', '/profile/public', 200, null],
    ['shared reads public', 'shared', 'GET', '/profile/public', 200, null],
    ['no token reads public', 'none', 'GET', '/profile/public', 401, 'invalid-access-token'],
    ['app reads private', 'app', 'GET', '/profile/private', 403, 'forbidden'],
    ['shared reads private', 'shared', 'GET', '/profile/private', 403, 'forbidden'],
    ['app writes public', 'app', 'PUT', '/profile/public', 403, 'forbidden'],
    ['app writes private', 'app', 'PUT', '/profile/private', 403, 'forbidden'],
    ['personal reads app', 'personal', 'GET', '/profile/app', 400, 'invalid-operation'],
    ['shared writes app', 'shared', 'PUT', '/profile/app', 400, 'invalid-operation'],
  ])('%s → %i', async (_n, kind, method, path, status, id) => {
    const u = await t.createUser();
    const res = await call(u, method, path, await tokenOf(u, kind), method === 'PUT' ? { k: 'v' } : undefined);
    expect(res.statusCode).toBe(status);
    if (id !== null) expect(res.json().error.id).toBe(id);
    expect(res.json().meta.serverTime).toBeTypeOf('number');
  });

  it.each([
    ['an array body', [1, 2]],
    ['a string body', 'text'],
  ])('refuses %s with 400 invalid-parameters-format', async (_n, payload) => {
    const u = await t.createUser();
    const res = await t.app.inject({
      method: 'PUT',
      url: `/${u.username}/profile/public`,
      headers: { authorization: u.token, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-parameters-format');
  });
});

describe('app profile', () => {
  it('gives each app access name its own set, separate from public and private', async () => {
    const u = await t.createUser();
    const a = await tokenOf(u, 'app', 'app-a');
    const b = await tokenOf(u, 'app', 'app-b');
    const sneaky = await tokenOf(u, 'app', 'private');
    await call(u, 'PUT', '/profile/private', u.token, { secret: 1 });
    const set = await call(u, 'PUT', '/profile/app', a, { theme: 'dark' });
    expect(set.statusCode).toBe(200);
    expect(set.json().profile).toEqual({ theme: 'dark' });
    expect((await call(u, 'GET', '/profile/app', a)).json().profile).toEqual({ theme: 'dark' });
    expect((await call(u, 'GET', '/profile/app', b)).json().profile).toEqual({});
    // An app access named "private" gets its own set, not the private profile.
    expect((await call(u, 'GET', '/profile/app', sneaky)).json().profile).toEqual({});
    await call(u, 'PUT', '/profile/app', sneaky, { secret: 2 });
    expect((await call(u, 'GET', '/profile/private', u.token)).json().profile).toEqual({ secret: 1 });
    expect((await call(u, 'PUT', '/profile/app', a, { theme: null })).json().profile).toEqual({});
  });
});

describe('batch ids (reference and docs, Pryv API §9 #14)', () => {
  it('accepts profile.get/update with id and the getPrivate/updatePrivate/updatePublic aliases', async () => {
    const u = await t.createUser();
    const res = await batch(u, [
      { method: 'profile.updatePublic', params: { update: { a: 1 } } },
      { method: 'profile.updatePrivate', params: { update: { b: 2 } } },
      { method: 'profile.update', params: { id: 'public', update: { c: 3 } } },
      { method: 'profile.getPrivate', params: {} },
      { method: 'profile.get', params: { id: 'public' } },
      { method: 'profile.getPublic', params: {} },
      { method: 'profile.get', params: { id: 'app:whatever' } },
    ]);
    expect(res.statusCode).toBe(200);
    const r = res.json().results;
    expect(r).toHaveLength(7);
    expect(r[0].profile).toEqual({ a: 1 });
    expect(r[1].profile).toEqual({ b: 2 });
    expect(r[2].profile).toEqual({ a: 1, c: 3 });
    expect(r[3].profile).toEqual({ b: 2 });
    expect(r[4].profile).toEqual({ a: 1, c: 3 });
    expect(r[5].profile).toEqual({ a: 1, c: 3 });
    expect(r[6].error.id).toBe('invalid-parameters-format');
  });
});
