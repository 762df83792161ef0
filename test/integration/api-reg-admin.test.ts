import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * The legacy register admin routes `/reg/admin/*` (reference "System-level API" → Admin), answered
 * from the platform DB, behind the admin key.
 */
let t: ApiTestApp;
let own: string;
let ADMIN: { authorization: string };
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  // A core id and hosting of its own, so that its user list holds only this file's users.
  own = `regadmin-${randomBytes(4).toString('hex')}`;
  t = await createApiTestApp({ HOMECORE_CORE__ID: own, HOMECORE_REGISTRATION__HOSTING: own });
  ADMIN = { authorization: t.services.secrets.adminAccessKey };
  alice = await t.createUser();
  bob = await t.createUser();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = ADMIN) => t.app.inject({ method: 'GET', url, headers });

describe('/reg/admin/*', () => {
  it('users: every platform user with its home core as `server` and its unique fields', async () => {
    const res = await get('/reg/admin/users');
    expect(res.statusCode).toBe(200);
    const users = res.json().users as Record<string, string>[];
    expect(users).toContainEqual(expect.objectContaining({ username: alice.username, server: own, email: alice.user.email.toLowerCase() }));
    expect(users.find((u) => u['username'] === bob.username)?.['server']).toBe(own);
  });

  it('users?toHTML=true: the same list as an HTML table, values escaped', async () => {
    const res = await get('/reg/admin/users?toHTML=true');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain(`<td>${alice.username}</td>`);
    expect(res.body).not.toMatch(/<td>[^<]*[<>"][^<]*<\/td>/);
    expect((await get('/reg/admin/users?toHTML=maybe')).statusCode).toBe(400);
  });

  it('servers: each core id with its user count; servers/{name}/users: the users homed there', async () => {
    const servers = (await get('/reg/admin/servers')).json().servers as Record<string, number>;
    expect(servers[own]).toBe(2);
    const onCore = (await get(`/reg/admin/servers/${own}/users`)).json().users as { username: string }[];
    expect(onCore.map((u) => u.username).sort()).toEqual([alice.username, bob.username].sort());
    expect((await get('/reg/admin/servers/no-such-core/users')).json().users).toEqual([]);
  });

  it('rename: refused with 400 invalid-operation, nothing moved', async () => {
    const res = await get(`/reg/admin/servers/${own}/rename/elsewhere`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-operation');
    expect((await get('/reg/admin/servers')).json().servers[own]).toBe(2);
  });

  it.each(['/reg/admin/users', '/reg/admin/servers', `/reg/admin/servers/x/users`, '/reg/admin/servers/a/rename/b'])('%s without the admin key looks like an unknown route (404)', async (url) => {
    for (const headers of [{}, { authorization: 'wrong-key-0123456789' }]) {
      const res = await get(url, headers);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.id).toBe('unknown-resource');
    }
  });
});
