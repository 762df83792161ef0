import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, MULTI_TEST_ENV, randomUsername, type ApiTestApp } from '../helpers/api-app.js';

/** Pryv API §4.6: a user homed on another core gets 421 wrong-core with that core's URL (multi-core only). */
const OTHER = `other-${randomBytes(4).toString('hex')}`;
const OTHER_URL = 'https://other-core.example.test/';
let multi: ApiTestApp;
let single: ApiTestApp;

beforeAll(async () => {
  multi = await createApiTestApp({ ...MULTI_TEST_ENV, HOMECORE_PLATFORM__DOMAIN: 'example.test', HOMECORE_CORE__ID: `here-${randomBytes(4).toString('hex')}` });
  single = await createApiTestApp();
  await multi.services.platform.cores.upsert({ id: OTHER, url: OTHER_URL, hosting: `h-${OTHER}`, available: true });
});
afterAll(async () => {
  await multi?.rqlite.execute([['DELETE FROM users WHERE core_id = ?', OTHER], ['DELETE FROM cores WHERE id = ?', OTHER]]).catch(() => undefined);
  await multi?.close();
  await single?.close();
});

describe('wrong core', () => {
  it('answers 421 wrong-core with coreUrl (in error and error.data) for a user of another core', async () => {
    const username = randomUsername('far');
    await multi.services.platform.registerUser(username, OTHER, { email: `${username}@example.test` });
    for (const url of [`/${username}/access-info`, `/${username}/events`, `/${username}/service/info`]) {
      const res = await multi.app.inject({ method: 'GET', url, headers: { authorization: 'any-token' } });
      expect(res.statusCode, url).toBe(421);
      expect(res.json().error).toMatchObject({ id: 'wrong-core', coreUrl: OTHER_URL, data: { coreUrl: OTHER_URL } });
      expect(res.headers['location']).toBeUndefined();
    }
    const where = await multi.app.inject({ method: 'GET', url: `/reg/cores?username=${username}` });
    expect(where.json().core.url).toBe(OTHER_URL);
  });

  it('still answers 404 for unknown users, and for local users serves normally', async () => {
    const res = await multi.app.inject({ method: 'GET', url: `/${randomUsername('nobody')}/access-info`, headers: { authorization: 'x' } });
    expect(res.statusCode).toBe(404);
    const u = await multi.createUser();
    const ok = await multi.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: u.token } });
    expect(ok.statusCode).toBe(200);
  });

  it('never answers 421 in single-core mode', async () => {
    const username = randomUsername('far');
    await single.services.platform.registerUser(username, OTHER, { email: `${username}@example.test` });
    const res = await single.app.inject({ method: 'GET', url: `/${username}/access-info`, headers: { authorization: 'x' } });
    expect(res.statusCode).toBe(404);
  });
});
