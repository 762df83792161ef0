import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Issue #16, "the long tail": each of these answered 500 unexpected-error before the input rules
 * (src/validation/input-limits.ts); each must be a 400 with the right error id, and the core goes on serving.
 */
let t: ApiTestApp;
let u: TestUser;
let eventId = '';
let fileId = '';
beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
  const h = { authorization: u.token };
  await t.app.inject({ method: 'POST', url: `/${u.username}/streams`, headers: h, payload: { id: 'edge', name: 'edge' } });
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: h, payload: { streamIds: ['edge'], type: 'note/txt', content: 'x' } });
  eventId = res.json().event.id;
  fileId = 'no-such-file';
});
afterAll(async () => {
  await t?.close();
});

const deep = (n: number, leaf = '1'): string => `${'{"a":'.repeat(n)}${leaf}${'}'.repeat(n)}`;

describe('hostile input answers 400, never 500', () => {
  it.each<[string, 'GET' | 'POST' | 'PUT' | 'DELETE', () => string, string | undefined, string]>([
    ['NUL in an event id', 'GET', () => `/${u.username}/events/a%00b`, undefined, 'invalid-parameters-format'],
    ['NUL in an event id (update)', 'PUT', () => `/${u.username}/events/a%00b`, '{"content":"y"}', 'invalid-parameters-format'],
    ['NUL in a series event id', 'POST', () => `/${u.username}/events/a%00b/series`, '{"format":"flatJSON","fields":["deltaTime","value"],"points":[[0,1]]}', 'invalid-parameters-format'],
    ['NUL in a webhook id', 'GET', () => `/${u.username}/webhooks/%00`, undefined, 'invalid-parameters-format'],
    ['NUL in a webhook id (delete)', 'DELETE', () => `/${u.username}/webhooks/%00`, undefined, 'invalid-parameters-format'],
    ['NUL in an attachment id', 'GET', () => `/${u.username}/events/${eventId}/a%00b`, undefined, 'invalid-parameters-format'],
    ['NUL in an attachment id (delete)', 'DELETE', () => `/${u.username}/events/${eventId}/${fileId}%00`, undefined, 'invalid-parameters-format'],
    ['NUL in a preview id', 'GET', () => `/${u.username}/events/a%00b.jpg`, undefined, 'invalid-parameters-format'],
    ['NUL as a profile key', 'PUT', () => `/${u.username}/profile/private`, '{"a\\u0000b":1}', 'invalid-parameters-format'],
    ['a lone surrogate in clientData', 'PUT', () => `/${u.username}/events/${eventId}`, '{"clientData":{"k":"\\ud800"}}', 'invalid-parameters-format'],
    ['deep clientData', 'PUT', () => `/${u.username}/events/${eventId}`, `{"clientData":${deep(20_000)}}`, 'invalid-request-structure'],
    ['deep profile', 'PUT', () => `/${u.username}/profile/public`, deep(20_000), 'invalid-request-structure'],
    ['deep clientData, 65 levels', 'POST', () => `/${u.username}/events`, `{"streamIds":["edge"],"type":"note/txt","content":"x","clientData":${deep(64)}}`, 'invalid-request-structure'],
    ['skip=1e999 on events.get', 'GET', () => `/${u.username}/events?skip=1e999`, undefined, 'invalid-parameters-format'],
    ['skip=1e20 on events.get', 'GET', () => `/${u.username}/events?skip=1e20`, undefined, 'invalid-parameters-format'],
    ['limit=1e999 on events.get', 'GET', () => `/${u.username}/events?limit=1e999`, undefined, 'invalid-parameters-format'],
    ['fromTime=-1e999 on events.get', 'GET', () => `/${u.username}/events?fromTime=-1e999`, undefined, 'invalid-parameters-format'],
    ['a NUL query value', 'GET', () => `/${u.username}/streams?parentId=%00`, undefined, 'invalid-parameters-format'],
    ['a repeated username on /reg/cores', 'GET', () => '/reg/cores?username=a&username=b', undefined, 'invalid-parameters-format'],
    ['a repeated email on /reg/cores', 'GET', () => '/reg/cores?email=a@b.c&email=d@e.f', undefined, 'invalid-parameters-format'],
    ['1e999 in a JSON body', 'POST', () => `/${u.username}/events`, '{"streamIds":["edge"],"type":"mass/kg","content":1e999}', 'invalid-parameters-format'],
  ])('%s', async (_n, method, url, payload, id) => {
    const headers: Record<string, string> = { authorization: u.token };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await t.app.inject({ method, url: url(), headers, ...(payload === undefined ? {} : { payload }) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.id).toBe(id);
  });

  it('refuses a NUL in the email at registration, and registers the same user without it', async () => {
    const username = randomUsername();
    const body = (email: string): string => JSON.stringify({ appId: 'edge-app', username, password: 'a-good-password', email, hosting: t.config.registration.hosting });
    const bad = await t.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: body(`${username}\u0000@example.test`) });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().error.id).toBe('invalid-parameters-format');
    const good = await t.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: body(`${username}@example.test`) });
    expect(good.statusCode, good.body).toBe(201);
  });

  it('reads a page at a large but bounded skip (the value is a SQL parameter)', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events?skip=${Number.MAX_SAFE_INTEGER}&limit=10`, headers: { authorization: u.token } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().events).toEqual([]);
    const first = await t.app.inject({ method: 'GET', url: `/${u.username}/events?skip=0&limit=1`, headers: { authorization: u.token } });
    expect(first.json().events.map((e: { id: string }) => e.id)).toEqual([eventId]);
  });

  it('keeps nested JSON up to the limit, and unicode that is well formed', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: `/${u.username}/events/${eventId}`,
      headers: { authorization: u.token, 'content-type': 'application/json' },
      payload: `{"clientData":{"deep":${deep(60)},"emoji":"😀"}}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().event.clientData.emoji).toBe('😀');
  });
});

describe('the same rules on Socket.IO method calls', () => {
  it.each<[string, string, unknown, string]>([
    ['a NUL clientData key', 'events.create', { streamIds: ['edge'], type: 'note/txt', content: 'x', clientData: { 'a\u0000': 1 } }, 'invalid-parameters-format'],
    ['a lone surrogate', 'streams.create', { id: 'sock', name: '\ud800' }, 'invalid-parameters-format'],
    ['deep clientData', 'events.update', { id: 'x', update: { clientData: JSON.parse(deep(1000)) as unknown } }, 'invalid-request-structure'],
    ['a deep call inside callBatch', 'callBatch', [{ method: 'profile.update', params: { update: JSON.parse(deep(200)) as unknown } }], 'invalid-request-structure'],
  ])('%s → the error in the ack', async (_n, method, params, id) => {
    await t.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined);
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const socket = io(`${base}/${u.username}`, { forceNew: true, reconnection: false, transports: ['websocket'], query: { auth: u.token } });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const [err, res] = await new Promise<unknown[]>((resolve) => socket.emit(method, params, (...a: unknown[]) => resolve(a)));
      const error = method === 'callBatch' ? (res as { results: Array<{ error: { id: string } }> }).results[0]?.error : (err as { error: { id: string } }).error;
      expect(error?.id).toBe(id);
    } finally {
      socket.close();
    }
  });
});
