import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * One caller-context path (issue #9, src/http/plugins/user-context.ts): the JSON API, series and
 * attachment routes resolve the user, the token and the access the same way, each with its own
 * token rule. Previews and Socket.IO are covered by previews.test.ts and socket.test.ts.
 */
/** Trusted by the test configuration (auth.trustedApps), as in api-auth.test.ts. */
const ORIGIN = 'http://127.0.0.1:3000';
let t: ApiTestApp;
let u: TestUser;
beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

describe('user context', () => {
  it.each([
    ['JSON API', '/events'],
    ['series', '/events/e1/series'],
    ['attachments', '/events/e1/f1'],
  ])('%s: an unknown user → 404 unknown-resource, before any token check', async (_n, path) => {
    const res = await get(`/${randomUsername('nobody')}${path}`, { authorization: 'not-a-token' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.id).toBe('unknown-resource');
  });

  it.each([
    ['JSON API', '/events'],
    ['series', '/events/e1/series'],
    ['attachments', '/events/e1/f1'],
  ])('%s: a bad token → 403 invalid-access-token', async (_n, path) => {
    const res = await get(`/${u.username}${path}`, { authorization: 'not-a-token' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.id).toBe('invalid-access-token');
  });

  it.each([
    ['JSON API', '/events', 401, 'invalid-access-token'],
    ['series', '/events/e1/series', 401, 'missing-header'],
    ['attachments', '/events/e1/f1', 401, 'invalid-access-token'],
  ])('%s: no token → %i %s', async (_n, path, status, id) => {
    const res = await get(`/${u.username}${path}`);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });

  it('a public method (auth.login) tolerates a bad token; a token in ?auth works but not on a download', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/auth/login`,
      headers: { authorization: 'not-a-token', origin: ORIGIN },
      payload: { username: u.username, password: u.password, appId: 'user-context-test' },
    });
    expect(login.statusCode, login.body).toBe(200);
    const events = await get(`/${u.username}/events?auth=${u.token}`);
    expect(events.statusCode).toBe(200);
    expect(events.headers['pryv-access-id']).toBeTypeOf('string');
    const download = await get(`/${u.username}/events/e1/f1?auth=${u.token}`);
    expect(download.statusCode).toBe(401);
  });

  it('names the access in pryv-access-id on each route', async () => {
    for (const path of ['/events', '/access-info', '/events/e1/series']) {
      const res = await get(`/${u.username}${path}`, { authorization: u.token });
      expect(res.headers['pryv-access-id'], path).toBeTypeOf('string');
    }
  });
});
