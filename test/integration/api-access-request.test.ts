import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiTestApp, type ApiTestApp } from '../helpers/api-app.js';

const TRUSTED_AUTH = 'https://auth.example.test/app';
let t: ApiTestApp;
beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_ACCESS__TRUSTED_AUTH_URLS: JSON.stringify([TRUSTED_AUTH]) });
});
afterAll(async () => {
  await t?.close();
});

const REQUEST = {
  requestingAppId: 'test-request-app',
  requestedPermissions: [{ streamId: 'diary', level: 'read', defaultName: 'Diary' }],
  languageCode: 'fr',
  returnURL: 'https://app.example.test/back',
  oauthState: 'xyz',
  clientData: { app: { version: 2 } },
};

const start = (payload: Record<string, unknown> = REQUEST, app = t) => app.app.inject({ method: 'POST', url: '/reg/access', payload });
const poll = (key: string, app = t) => app.app.inject({ method: 'GET', url: `/reg/access/${key}` });
const answer = (key: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: `/reg/access/${key}`, payload });

async function startKey(): Promise<string> {
  const res = await start();
  expect(res.statusCode).toBe(201);
  return res.json().key as string;
}

describe('starting an access request', () => {
  it('answers 201 NEED_SIGNIN with a key, an absolute poll URL and a filled authUrl', async () => {
    const res = await start();
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.key).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const accessBase = `${t.config.platform.publicUrl}reg/access/`;
    expect(body).toMatchObject({
      status: 'NEED_SIGNIN',
      poll: `${accessBase}${body.key}`,
      poll_rate_ms: 1000,
      requestingAppId: 'test-request-app',
      requestedPermissions: REQUEST.requestedPermissions,
      lang: 'fr',
      returnURL: REQUEST.returnURL,
      clientData: REQUEST.clientData,
      serviceInfo: { name: 'homecore', access: accessBase },
    });
    expect(body.url).toBe(body.authUrl);
    const auth = new URL(body.authUrl);
    expect(`${auth.origin}${auth.pathname}`).toBe(t.config.access.defaultAuthUrl);
    expect(Object.fromEntries(auth.searchParams)).toEqual({
      lang: 'fr',
      key: body.key,
      requestingAppId: 'test-request-app',
      poll: body.poll,
      poll_rate_ms: '1000',
      serviceInfo: `${t.config.platform.publicUrl}reg/service/info`,
      returnURL: REQUEST.returnURL,
      oauthState: 'xyz',
    });
  });

  it("accepts the SDK's returnURL: false (popup mode) and leaves it out of the authUrl", async () => {
    const res = await start({ ...REQUEST, returnURL: false, oauthState: null });
    expect(res.statusCode).toBe(201);
    expect(res.json().returnURL).toBe(false);
    const auth = new URL(res.json().authUrl);
    expect(auth.searchParams.has('returnURL')).toBe(false);
    expect(auth.searchParams.has('oauthState')).toBe(false);
  });

  it('uses a trusted custom authUrl', async () => {
    const res = await start({ ...REQUEST, authUrl: `${TRUSTED_AUTH}/login.html?theme=dark` });
    expect(res.statusCode).toBe(201);
    const auth = new URL(res.json().authUrl);
    expect(auth.pathname).toBe('/app/login.html');
    expect(auth.searchParams.get('theme')).toBe('dark');
    expect(auth.searchParams.get('key')).toBe(res.json().key);
  });

  it.each([
    ['no requestingAppId', { requestingAppId: undefined }],
    ['an empty requestingAppId', { requestingAppId: '' }],
    ['no requestedPermissions', { requestedPermissions: undefined }],
    ['empty requestedPermissions', { requestedPermissions: [] }],
    ['a permission without level', { requestedPermissions: [{ streamId: 'diary' }] }],
    ['an unknown level', { requestedPermissions: [{ streamId: 'diary', level: 'admin' }] }],
    ['an untrusted authUrl', { authUrl: 'https://evil.example/access.html' }],
    ['an authUrl merely starting like a trusted one', { authUrl: `${TRUSTED_AUTH}lication/x.html` }],
  ])('refuses %s with 400 invalid-parameters', async (_n, patch) => {
    const res = await start({ ...REQUEST, ...patch });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-parameters');
  });

  it('answers a malformed body with the usual 400 invalid-request-structure envelope', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/reg/access', headers: { 'content-type': 'application/json' }, payload: '{nope' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { id: 'invalid-request-structure' }, meta: expect.any(Object) });
  });
});

describe('polling and answering', () => {
  it('runs the full cycle NEED_SIGNIN → ACCEPTED, answered to polls from another app on the same platform', async () => {
    const key = await startKey();
    const first = await poll(key);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ status: 'NEED_SIGNIN', key, requestingAppId: 'test-request-app' });

    const accepted = await answer(key, { status: 'ACCEPTED', username: 'alice-user', token: 'ctoken123' });
    expect(accepted.statusCode).toBe(200);
    const expected = { status: 'ACCEPTED', username: 'alice-user', token: 'ctoken123', apiEndpoint: `http://ctoken123@127.0.0.1:3000/alice-user/` };
    expect(accepted.json()).toMatchObject(expected);
    // The platform DB keeps the granted token sealed, never in clear.
    const rows = await t.services.platform.client.queryRows('SELECT state FROM request_states WHERE key = ?', [key], 'linearizable');
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('ctoken123');

    // Another worker or core: a second app sharing only the platform DB.
    const other = await createApiTestApp();
    try {
      const polled = await poll(key, other);
      expect(polled.statusCode).toBe(200);
      expect(polled.json()).toMatchObject(expected);
    } finally {
      await other.close();
    }
  });

  it('keeps the apiEndpoint the auth page gives', async () => {
    const key = await startKey();
    const apiEndpoint = 'https://ctok@elsewhere.example.test/alice-user/';
    await answer(key, { status: 'ACCEPTED', username: 'alice-user', token: 'ctok', apiEndpoint });
    expect((await poll(key)).json().apiEndpoint).toBe(apiEndpoint);
  });

  it.each([
    ['REFUSED', { status: 'REFUSED', reasonId: 'REFUSED_BY_USER', message: 'no' }, 403, { status: 'REFUSED', reasonId: 'REFUSED_BY_USER', reasonID: 'REFUSED_BY_USER', message: 'no' }],
    ['ERROR', { status: 'ERROR', reasonID: 'INTERNAL', message: 'oops' }, 403, { status: 'ERROR', reasonId: 'INTERNAL', message: 'oops' }],
    ['REDIRECTED', { status: 'REDIRECTED', redirectUrl: 'https://other.example.test/auth' }, 301, { status: 'REDIRECTED', redirectUrl: 'https://other.example.test/auth' }],
  ])('answers %s to the auth page and to later polls', async (_n, update, status, body) => {
    const key = await startKey();
    for (const res of [await answer(key, update), await poll(key)]) {
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject(body);
      if (status === 301) {
        expect(res.headers.location).toBe('https://other.example.test/auth');
        expect(res.json().poll).toMatch(new RegExp(`/reg/access/${key}$`));
      }
    }
  });

  it('lets a redirected request still be accepted, but never changes an answered one', async () => {
    const key = await startKey();
    await answer(key, { status: 'REDIRECTED', redirectUrl: 'https://other.example.test/auth' });
    expect((await answer(key, { status: 'ACCEPTED', username: 'alice-user', token: 'ctok' })).statusCode).toBe(200);
    const late = await answer(key, { status: 'REFUSED', reasonId: 'x' });
    expect(late.statusCode).toBe(400);
    expect(late.json().error.id).toBe('invalid-parameters');
    expect((await poll(key)).json().status).toBe('ACCEPTED');
  });

  it.each([
    ['ACCEPTED without token', { status: 'ACCEPTED', username: 'alice-user' }],
    ['ACCEPTED without username', { status: 'ACCEPTED', token: 'ctok' }],
    ['ACCEPTED with a bad username', { status: 'ACCEPTED', username: 'A!', token: 'ctok' }],
    ['REDIRECTED without redirectUrl', { status: 'REDIRECTED' }],
    ['an unknown status', { status: 'MAYBE' }],
    ['NEED_SIGNIN', { status: 'NEED_SIGNIN' }],
  ])('refuses an answer with %s (400 invalid-parameters) and stays pending', async (_n, update) => {
    const key = await startKey();
    const res = await answer(key, update);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-parameters');
    expect((await poll(key)).statusCode).toBe(201);
  });

  it('forgets a request after access.requestTtlSeconds', async () => {
    const key = await startKey();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + (t.config.access.requestTtlSeconds + 60) * 1000);
      const res = await poll(key);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.id).toBe('unknown-access-key');
    } finally {
      vi.useRealTimers();
    }
    expect((await poll(key)).statusCode).toBe(201);
  });

  it.each([
    ['GET', 'an unknown key', 'AAAAAAAAAAAAAAAA'],
    ['GET', 'a malformed key', 'short'],
    ['POST', 'an unknown key', 'BBBBBBBBBBBBBBBB'],
  ])('%s with %s → 400 unknown-access-key', async (method, _n, key) => {
    const res = await t.app.inject({ method: method as 'GET' | 'POST', url: `/reg/access/${key}`, ...(method === 'POST' ? { payload: { status: 'REFUSED' } } : {}) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('unknown-access-key');
  });
});
