import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

let t: ApiTestApp;
let u: TestUser;
beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
});
afterAll(async () => {
  await t?.close();
});

describe('API conventions', () => {
  it.each([
    ['header, bare', { authorization: () => u.token }, ''],
    ['header, Bearer', { authorization: () => `Bearer ${u.token}` }, ''],
    ['header, Basic token:', { authorization: () => `Basic ${Buffer.from(`${u.token}:`).toString('base64')}` }, ''],
    ['query auth', {}, 'auth'],
  ])('accepts the token from %s', async (_n, headers, viaQuery) => {
    const h = Object.fromEntries(Object.entries(headers).map(([k, f]) => [k, f()]));
    const url = `/${u.username}/access-info${viaQuery === 'auth' ? `?auth=${u.token}` : ''}`;
    const res = await t.app.inject({ method: 'GET', url, headers: h });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.username).toBe(u.username);
  });

  it('appends a caller id after the token to tracking', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: `${u.token} my-caller` } });
    expect(res.statusCode).toBe(200);
  });

  it('answers CORS preflights and echoes the origin on answers', async () => {
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: `/${u.username}/events`,
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.statusCode).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(pre.headers['access-control-allow-methods']).toBe('PUT');
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: u.token, origin: 'https://app.example' } });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['api-version']).toBe('2.0.0');
  });

  it('varies every answer on Origin, and preflights on the requested method and headers (a shared cache never mixes origins)', async () => {
    const vary = (h: string | string[] | number | undefined): string[] => String(h ?? '').toLowerCase().split(/\s*,\s*/);
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: `/${u.username}/events`,
      headers: { origin: 'https://a.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, x-custom' },
    });
    expect(pre.statusCode).toBe(200);
    expect(pre.headers['access-control-allow-headers']).toBe('authorization, x-custom');
    expect(pre.headers['access-control-max-age']).toBe('31536000');
    expect(vary(pre.headers.vary)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method', 'access-control-request-headers']));
    for (const req of [
      { method: 'GET' as const, url: `/${u.username}/access-info`, headers: { authorization: u.token, origin: 'https://b.example' } },
      { method: 'GET' as const, url: `/${u.username}/access-info`, headers: { authorization: 'bad-token', origin: 'https://b.example' } },
      { method: 'GET' as const, url: '/reg/service/info', headers: { origin: 'https://b.example' } },
      { method: 'GET' as const, url: '/no/such/route', headers: { origin: 'https://b.example' } },
      { method: 'GET' as const, url: '/reg/service/info', headers: {} },
    ]) {
      const res = await t.app.inject(req);
      expect(vary(res.headers.vary), `${req.url} ${res.statusCode}`).toContain('origin');
      expect(res.headers['access-control-allow-origin']).toBe(req.headers.origin ?? '*');
      expect(res.headers['access-control-expose-headers']).toBe('API-Version, Pryv-Access-Id');
    }
  });

  it('accepts a form-encoded batch with _auth and _json', async () => {
    const form = new URLSearchParams({ _auth: u.token, _json: JSON.stringify([{ method: 'getAccessInfo', params: {} }]) });
    const res = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results[0].user.username).toBe(u.username);
  });

  it('dispatches a form POST with _method to the route of that verb', async () => {
    const form = new URLSearchParams({ _auth: u.token, _method: 'GET' });
    const res = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/access-info`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().type).toBe('personal');
  });

  it('refuses malformed _json with 400 invalid-request-structure', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _auth: u.token, _json: '[{' }).toString(),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-request-structure');
  });

  it('answers unknown routes with a JSON 404 carrying meta', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/no-such-thing`, headers: { authorization: u.token } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { id: 'unknown-resource' }, meta: { apiVersion: '2.0.0' } });
  });

  it('serves an OpenAPI document listing every routed method', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ops).toEqual(expect.arrayContaining(['auth.login', 'getAccessInfo']));
  });
});

describe('API roots, removed methods and CORS on every answer', () => {
  it('GET /{username}/ answers cheersFrom for an existing user and 404 otherwise', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ cheersFrom: expect.any(String), meta: { apiVersion: '2.0.0' } });
    expect((await t.app.inject({ method: 'GET', url: '/nosuchuser1/' })).statusCode).toBe(404);
  });

  it.each(['/auth/who-am-i', '/events/start', '/followed-slices', '/followed-slices/abc'])('answers 410 removed-method on %s', async (path) => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}${path}`, headers: { authorization: u.token } });
    expect(res.statusCode).toBe(410);
    expect(res.json().error.id).toBe('removed-method');
  });

  it.each<[string, 'GET' | 'POST', () => string]>([
    ['POST /{u}/events/stop', 'POST', () => `/${u.username}/events/stop`],
    ['GET /reg/{u}/username/check', 'GET', () => `/reg/${u.username}/username/check`],
    ['GET /reg/{email}/email/check', 'GET', () => '/reg/someone@example.test/email/check'],
  ])('answers 410 removed-method on %s', async (_name, method, url) => {
    const res = await t.app.inject({ method, url: url(), headers: { authorization: u.token } });
    expect(res.statusCode).toBe(410);
    expect(res.json().error.id).toBe('removed-method');
  });

  it('sends the CORS allow headers on ordinary answers too', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: u.token } });
    expect(res.headers['access-control-allow-methods']).toContain('GET');
    expect(res.headers['access-control-allow-headers']).toContain('Authorization');
    expect(res.headers['access-control-max-age']).toBe('31536000');
  });
});

describe('unknown parameters', () => {
  it.each([
    ['events.get with the removed tags filter', '/events?tags=a', 'tags'],
    // `content` and `clientData` are content queries (api-events-content-query.test.ts); a near miss is not.
    ['events.get with a misspelt content query', '/events?contents=%5B%5D', 'contents'],
    ['streams.get with a typo', '/streams?parentID=x', 'parentID'],
    ['access-info with anything', '/access-info?x=1', 'x'],
  ])('refuses %s with 400 naming the parameter', async (_n, path, param) => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}${path}`, headers: { authorization: u.token } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-parameters-format');
    expect(res.json().error.data.map((d: { param: string }) => d.param)).toContain(param);
  });
});

describe('result size in batch calls', () => {
  it('answers too-many-results (in that call’s entry) when a collected result exceeds limits.maxResultItems', async () => {
    const small = await createApiTestApp({ HOMECORE_LIMITS__MAX_RESULT_ITEMS: '3' });
    try {
      const v = await small.createUser();
      const h = { authorization: v.token };
      await small.app.inject({ method: 'POST', url: `/${v.username}/streams`, headers: h, payload: { id: 's', name: 'S' } });
      const calls = Array.from({ length: 5 }, (_, i) => ({ method: 'events.create', params: { streamIds: ['s'], type: 'count/generic', content: i } }));
      await small.app.inject({ method: 'POST', url: `/${v.username}/`, headers: h, payload: calls });
      const res = await small.app.inject({ method: 'POST', url: `/${v.username}/`, headers: h, payload: [{ method: 'events.get', params: { limit: 10 } }, { method: 'events.get', params: { limit: 2 } }] });
      const [big, ok] = res.json().results;
      expect(big.error).toMatchObject({ id: 'too-many-results', data: { limit: 3 } });
      expect(ok.events).toHaveLength(2);
      // Over HTTP the same query streams without that limit.
      const http = await small.app.inject({ method: 'GET', url: `/${v.username}/events?limit=10`, headers: h });
      expect(http.json().events).toHaveLength(5);
    } finally {
      await small.close();
    }
  });
});
