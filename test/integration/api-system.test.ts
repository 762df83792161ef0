import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp } from '../helpers/api-app.js';
import { hashPassword } from '../../src/auth/crypto.js';

let t: ApiTestApp;
let ADMIN: string;
beforeAll(async () => {
  // Self-deletion with a personal token enabled here; the default (admin key only) is tested below.
  t = await createApiTestApp({ HOMECORE_AUTH__USER_DELETION_BY: '[adminKey, personalToken]' });
  ADMIN = t.services.secrets.adminAccessKey;
});
afterAll(async () => {
  await t?.close();
});

const ORIGIN = 'http://127.0.0.1:3000';
type Verb = 'GET' | 'POST' | 'DELETE';

const admin = (method: Verb, url: string, payload?: Record<string, unknown>, key: string | null = ADMIN) =>
  t.app.inject({ method, url, headers: key === null ? {} : { authorization: key }, ...(payload === undefined ? {} : { payload }) });
const newUserBody = (extra: Record<string, unknown> = {}) => {
  const username = randomUsername('sys');
  return { username, email: `${username}@example.test`, language: 'fr', ...extra };
};
const login = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: `/${username}/auth/login`, headers: { origin: ORIGIN }, payload: { username, password, appId: 'sys-test-app' } });

describe('admin key', () => {
  const routes: [Verb, string][] = [
    ['POST', '/system/create-user'],
    ['GET', '/system/user-info/someone'],
    ['GET', '/system/admin/users'],
    ['GET', '/system/admin/cores'],
  ];
  const keys: [string, () => string | null][] = [
    ['no key', () => null],
    ['a wrong key', () => 'wrong-admin-key-0123456789'],
    ['the key with a Bearer prefix', () => `Bearer ${ADMIN}`],
    ['a prefix of the key', () => ADMIN.slice(0, -1)],
  ];
  it.each(routes.flatMap(([verb, url]) => keys.map(([name, key]) => [verb, url, name, key] as const)))(
    '%s %s with %s → 404 unknown-resource',
    async (verb, url, _name, key) => {
      const res = await admin(verb, url, verb === 'POST' ? newUserBody({ password: 'secret-pass' }) : undefined, key());
      expect(res.statusCode).toBe(404);
      expect(res.json().error.id).toBe('unknown-resource');
      expect(res.json().meta.serverTime).toBeTypeOf('number');
    },
  );

  it('answers 404 before parsing the body, so a malformed body reveals nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/system/create-user', headers: { 'content-type': 'application/json' }, payload: '{nope' });
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /system/create-user', () => {
  it('creates a user with a password (201 {id}) who can log in', async () => {
    const body = newUserBody({ password: 'secret-pass' });
    const res = await admin('POST', '/system/create-user', body);
    expect(res.statusCode).toBe(201);
    expect(res.json().id).toMatch(/^[a-z][a-z0-9]{23}$/);
    expect((await login(body.username, 'secret-pass')).json().preferredLanguage).toBe('fr');
  });

  it('creates a user from a password hash', async () => {
    const body = newUserBody({ passwordHash: await hashPassword('hashed-pass') });
    expect((await admin('POST', '/system/create-user', body)).statusCode).toBe(201);
    expect((await login(body.username, 'hashed-pass')).statusCode).toBe(200);
  });

  it.each([
    ['a taken username', 'taken-username', 409, 'item-already-exists'],
    ['a taken email', 'taken-email', 409, 'item-already-exists'],
    ['a bad username', { username: 'A!' }, 400, 'invalid-parameters-format'],
    ['no password', { password: undefined }, 400, 'invalid-parameters-format'],
    ['an unverifiable hash', { password: undefined, passwordHash: '$2b$10$abcdefghijklmnopqrstuv' }, 400, 'invalid-parameters-format'],
  ])('refuses %s', async (_n, patch, status, id) => {
    const existing = await t.createUser();
    const extra =
      patch === 'taken-username' ? { username: existing.username } : patch === 'taken-email' ? { email: existing.user.email } : patch;
    const res = await admin('POST', '/system/create-user', { ...newUserBody({ password: 'secret-pass' }), ...extra });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });
});

describe('admin lookups', () => {
  it('reports user info with call counts', async () => {
    const u = await t.createUser();
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: u.token } });
    const res = await admin('GET', `/system/user-info/${u.username}`);
    expect(res.statusCode).toBe(200);
    const info = res.json().userInfo;
    expect(info).toMatchObject({ username: u.username, callsTotal: 3, callsDetail: { getAccessInfo: 3 }, callsPerAccess: { 'test-app-id': 3 } });
    expect(info.lastAccess).toBeGreaterThan(0);
    expect(info.storageUsed).toEqual({ dbDocuments: expect.any(Number), attachedFiles: 0 });
    expect((await admin('GET', `/system/user-info/${randomUsername()}`)).statusCode).toBe(404);
  });

  it('lists users and cores', async () => {
    const u = await t.createUser();
    const users = (await admin('GET', '/system/admin/users')).json().users;
    // appId: an indexed account field, kept at registration (docs/api.md#system-streams).
    expect(users).toContainEqual({ appId: 'test-app-id', username: u.username, id: u.user.id, email: u.user.email, language: 'en', core: 'test-core' });
    const cores = (await admin('GET', '/system/admin/cores')).json().cores;
    expect(cores).toContainEqual(expect.objectContaining({ id: 'test-core', url: t.config.platform.publicUrl, hosting: t.config.registration.hosting, available: true }));
  });
});

describe('DELETE /users/{username}', () => {
  it('deletes everything with the admin key, platform mapping included', async () => {
    const u = await t.createUser();
    await t.app.inject({ method: 'PUT', url: `/${u.username}/profile/public`, headers: { authorization: u.token }, payload: { a: 1 } });
    const res = await admin('DELETE', `/users/${u.username}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ userDeletion: { username: u.username } });
    expect((await t.app.inject({ method: 'GET', url: `/reg/cores?username=${u.username}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: u.token } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/reg/${u.user.email}/check_email` })).json()).toMatchObject({ reserved: false });
    expect(await t.services.stores.users.getById(u.user.id)).toBeNull();
    // Username and email are free again.
    const again = await t.createUser({ username: u.username, email: u.user.email });
    expect(again.user.id).not.toBe(u.user.id);
  });

  it.each<[string, 'own-personal' | 'own-app' | 'other-personal' | 'none' | 'garbage', number, string | null]>([
    ['its own personal token', 'own-personal', 200, null],
    ['an app token of that user', 'own-app', 403, 'forbidden'],
    ["another user's personal token", 'other-personal', 404, 'unknown-resource'],
    ['no Authorization', 'none', 404, 'unknown-resource'],
    ['a wrong key', 'garbage', 404, 'unknown-resource'],
  ])('with %s → %i', async (_n, kind, status, id) => {
    const u = await t.createUser();
    const tokens = {
      'own-personal': u.token,
      'own-app': (await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }] })).token,
      'other-personal': (await t.createUser()).token,
      none: null,
      garbage: 'not-the-admin-key-0123456',
    };
    const res = await admin('DELETE', `/users/${u.username}`, undefined, tokens[kind]);
    expect(res.statusCode).toBe(status);
    if (id !== null) expect(res.json().error.id).toBe(id);
    const mapped = (await t.app.inject({ method: 'GET', url: `/reg/cores?username=${u.username}` })).statusCode;
    expect(mapped).toBe(status === 200 ? 404 : 200);
  });

  it('by default refuses a personal token (admin key only) with 404', async () => {
    const strict = await createApiTestApp();
    try {
      const u = await strict.createUser();
      const res = await strict.app.inject({ method: 'DELETE', url: `/users/${u.username}`, headers: { authorization: u.token } });
      expect(res.statusCode).toBe(404);
      expect(await strict.services.stores.users.getById(u.user.id)).not.toBeNull();
    } finally {
      await strict.close();
    }
  });

  it('answers 404 for an unknown user', async () => {
    const res = await admin('DELETE', `/users/${randomUsername()}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain('Unknown user');
  });

  it('finishes a deletion cut short after the local cascade (platform entries left behind)', async () => {
    const u = await t.createUser();
    await t.services.stores.users.deleteCascade(u.user.id);
    expect((await t.app.inject({ method: 'GET', url: `/reg/cores?username=${u.username}` })).statusCode).toBe(200);
    expect((await admin('DELETE', `/users/${u.username}`)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/reg/cores?username=${u.username}` })).statusCode).toBe(404);
  });
});
