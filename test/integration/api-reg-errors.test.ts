import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp } from '../helpers/api-app.js';

/**
 * The register-service ids on the discovery routes (Pryv API §4.3; the SDK's userExists() reads
 * `unknown-user`), made by the error factory since issue #9: same ids and statuses, usual envelope.
 */
let t: ApiTestApp;
beforeAll(async () => {
  t = await createApiTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('register discovery errors', () => {
  it.each([
    ['POST', 'server'],
    ['GET', 'server'],
  ] as const)('%s /reg/{unknown}/%s → 404 unknown-user', async (method, suffix) => {
    const username = randomUsername('nobody');
    const res = await t.app.inject({ method, url: `/reg/${username}/${suffix}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ id: 'unknown-user', message: `Unknown user "${username}"` });
    expect(res.json().meta.serverTime).toBeTypeOf('number');
  });

  it.each(['uid', 'username'])('GET /reg/{unknown email}/%s → 404 unknown-email', async (suffix) => {
    const res = await t.app.inject({ method: 'GET', url: `/reg/${randomUsername('nobody')}@example.test/${suffix}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ id: 'unknown-email', message: 'Unknown email' });
  });

  it('answers a registered user: server and uid', async () => {
    const username = randomUsername('known');
    const email = `${username}@example.test`;
    const reg = await t.app.inject({ method: 'POST', url: '/reg/users', payload: { username, password: 'a-good-password', email, appId: 'reg-errors-test' } });
    expect(reg.statusCode).toBe(201);
    const server = await t.app.inject({ method: 'POST', url: `/reg/${username}/server` });
    expect(server.statusCode).toBe(200);
    expect(server.json()).toMatchObject({ alias: username });
    expect((await t.app.inject({ method: 'GET', url: `/reg/${email}/uid` })).json()).toMatchObject({ uid: username });
  });
});
