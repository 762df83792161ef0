import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp } from '../helpers/api-app.js';

let t: ApiTestApp;
beforeAll(async () => {
  t = await createApiTestApp();
});
afterAll(async () => {
  await t?.close();
});

const ORIGIN = 'http://127.0.0.1:3000';

describe('registration', () => {
  it('creates a user and answers 201 with an apiEndpoint holding a working personal token', async () => {
    const username = randomUsername('reg');
    const res = await t.app.inject({
      method: 'POST',
      url: '/reg/users',
      payload: { username, password: 'secret-pass', email: `${username}@example.test`, appId: 'my-test-app' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.username).toBe(username);
    expect(body.meta.serverTime).toBeTypeOf('number');
    const endpoint = new URL(body.apiEndpoint);
    expect(endpoint.pathname).toBe(`/${username}/`);
    const info = await t.app.inject({ method: 'GET', url: `/${username}/access-info`, headers: { authorization: endpoint.username } });
    expect(info.statusCode).toBe(200);
    expect(info.json()).toMatchObject({ type: 'personal', name: 'my-test-app', user: { username } });
    expect(info.headers['pryv-access-id']).toBe(info.json().id);
  });

  it.each([
    ['bad username', { username: 'A!', password: 'secret-pass', email: 'x@example.test' }, 'username-invalid'],
    ['missing email', { username: randomUsername(), password: 'secret-pass' }, 'email-required'],
    ['short password', { username: randomUsername(), password: 'abc', email: 'y@example.test' }, 'password-invalid'],
  ])('refuses %s with 400 invalid-parameters-format naming the field', async (_n, payload, code) => {
    const res = await t.app.inject({ method: 'POST', url: '/users', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-parameters-format');
    expect(res.json().error.data.map((d: { code: string }) => d.code)).toContain(code);
  });

  it('refuses a taken username and a taken email with 409, and reserved names', async () => {
    const u = await t.createUser();
    const again = await t.app.inject({ method: 'POST', url: '/users', payload: { username: u.username, password: 'secret-pass', email: 'other@example.test' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ id: 'item-already-exists', data: { username: '(taken)' } });
    const email = await t.app.inject({ method: 'POST', url: '/users', payload: { username: randomUsername(), password: 'secret-pass', email: u.user.email } });
    expect(email.statusCode).toBe(409);
    expect(Object.keys(email.json().error.data)).toEqual(['email']);
    const reserved = await t.app.inject({ method: 'POST', url: '/users', payload: { username: 'pryvsomething', password: 'secret-pass', email: 'r@example.test' } });
    expect(reserved.statusCode).toBe(409);
    const check = await t.app.inject({ method: 'GET', url: `/reg/${u.username}/check_username` });
    expect(check.json()).toMatchObject({ reserved: true });
    const free = await t.app.inject({ method: 'GET', url: `/reg/${randomUsername()}/check_username` });
    expect(free.json()).toMatchObject({ reserved: false });
  });

  it('maps the user to this core in the platform DB (discovery)', async () => {
    const u = await t.createUser();
    const res = await t.app.inject({ method: 'GET', url: `/reg/cores?username=${u.username}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().core.url).toBe(t.config.platform.publicUrl);
    const unknown = await t.app.inject({ method: 'GET', url: `/reg/cores?username=${randomUsername()}` });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('auth.login / auth.logout', () => {
  it('logs in a trusted app, reuses the live session, and logout kills the token', async () => {
    const u = await t.createUser();
    const login = (appId: string, origin = ORIGIN) =>
      t.app.inject({ method: 'POST', url: `/${u.username}/auth/login`, headers: { origin }, payload: { username: u.username, password: u.password, appId } });
    const first = await login('some-app-id');
    expect(first.statusCode).toBe(200);
    const { token, apiEndpoint } = first.json();
    expect(apiEndpoint).toContain(`${token}@`);
    expect((await login('some-app-id')).json().token).toBe(token);
    const out = await t.app.inject({ method: 'POST', url: `/${u.username}/auth/logout`, headers: { authorization: token } });
    expect(out.statusCode).toBe(200);
    const after = await t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: token } });
    expect(after.statusCode).toBe(403);
    expect(after.json().error).toMatchObject({ id: 'invalid-access-token' });
    expect(after.json().error.message).toContain('Cannot find access from token.');
  });

  it.each([
    ['wrong password', { password: 'nope-nope' }, ORIGIN, 401, 'invalid-credentials'],
    ['untrusted origin', {}, 'https://evil.example', 401, 'invalid-credentials'],
    ['missing appId', { appId: undefined }, ORIGIN, 400, 'invalid-operation'],
  ])('refuses %s', async (_n, patch, origin, status, id) => {
    const u = await t.createUser();
    const payload = { username: u.username, password: u.password, appId: 'some-app-id', ...patch };
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/auth/login`, headers: { origin }, payload });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
    expect(res.json().meta.serverTime).toBeTypeOf('number');
  });

  it('answers 404 Unknown user for an unknown user, with meta', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${randomUsername()}/access-info`, headers: { authorization: 'x' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain('Unknown user');
  });

  it('refuses a missing token with 401 and an unknown one with 403', async () => {
    const u = await t.createUser();
    const none = await t.app.inject({ method: 'GET', url: `/${u.username}/access-info` });
    expect(none.statusCode).toBe(401);
    const bad = await t.app.inject({ method: 'GET', url: `/${u.username}/access-info?auth=cnotatoken` });
    expect(bad.statusCode).toBe(403);
  });
});

describe('service info and batch', () => {
  it('serves service info with a non-empty name on every route', async () => {
    const u = await t.createUser();
    for (const url of ['/reg/service/info', '/service/info', `/${u.username}/service/info`]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ name: 'homecore', api: `${t.config.platform.publicUrl}{username}/`, register: `${t.config.platform.publicUrl}reg/` });
    }
    expect((await t.app.inject({ method: 'GET', url: `/${randomUsername()}/service/info` })).statusCode).toBe(404);
  });

  it('runs batch calls in order with one result per call, errors included', async () => {
    const u = await t.createUser();
    const res = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/`,
      headers: { authorization: u.token },
      payload: [{ method: 'getAccessInfo', params: {} }, { method: 'no.such', params: {} }, { method: 'getAccessInfo', params: {} }],
    });
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(results).toHaveLength(3);
    expect(results[0].type).toBe('personal');
    expect(results[1].error.id).toBe('invalid-method');
    expect(results[2].user.username).toBe(u.username);
    const notArray = await t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: u.token }, payload: { method: 'x' } });
    expect(notArray.statusCode).toBe(400);
  });
});
