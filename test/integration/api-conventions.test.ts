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
