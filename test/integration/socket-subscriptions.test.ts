import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Scoped subscriptions over Socket.IO (docs/api.md#scoped-subscriptions), as the reference's socket
 * Manager serves them: `subscribe` / `unsubscribe` / `getSubscriptions`, `notificationsChanged {keys}`
 * for the scopes a change matches, and no coarse messages for a socket holding scopes.
 */

let t: ApiTestApp;
let base: string;
let u: TestUser;
const opened: Socket[] = [];

type Ack = [err: { error: { id: string } } | null, res?: Record<string, unknown>];

beforeAll(async () => {
  t = await createApiTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  u = await t.createUser();
  for (const [id, parentId] of [['diary', null], ['body', null], ['weight', 'body'], ['secret', null]] as const) {
    const res = await http('POST', '/streams', { id, name: id, ...(parentId === null ? {} : { parentId }) });
    expect(res.statusCode).toBe(201);
  }
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});
afterAll(async () => {
  await t?.close();
});

function http(method: 'POST' | 'PUT' | 'DELETE', path: string, payload?: object, token = u.token) {
  return t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });
}

async function createEvent(streamIds: string[], type = 'note/txt', content: unknown = 'x'): Promise<void> {
  expect((await http('POST', '/events', { streamIds, type, content })).statusCode).toBe(201);
}

/** A connected socket that records every change message it gets. */
async function listen(token = u.token): Promise<{ socket: Socket; got: [string, unknown][] }> {
  const socket = io(`${base}/${u.username}/${u.username}`, { forceNew: true, reconnection: false, transports: ['websocket'], query: { auth: token } });
  opened.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const got: [string, unknown][] = [];
  for (const m of ['eventsChanged', 'streamsChanged', 'accessesChanged', 'notificationsChanged']) socket.on(m, (payload: unknown) => got.push([m, payload]));
  return { socket, got };
}

function call(socket: Socket, method: string, params?: unknown): Promise<Ack> {
  return new Promise((resolve) => socket.emit(method, params, (...answer: unknown[]) => resolve(answer as Ack)));
}

/** Waits until `got` holds `n` messages (a marker write is how a test knows earlier ones are in). */
async function until(got: unknown[], n: number, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (got.length < n) {
    if (Date.now() > end) throw new Error(`expected ${n} messages, got ${got.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scoped subscriptions', () => {
  it('subscribe / getSubscriptions / unsubscribe answer the keys held', async () => {
    const { socket } = await listen();
    expect(await call(socket, 'subscribe', { key: 'diary', query: { streams: ['diary'] } })).toEqual([null, expect.objectContaining({ ok: true, keys: ['diary'] })]);
    const [, bulk] = await call(socket, 'subscribe', { scopes: { body: { query: { streams: ['body'], types: ['mass/*'] } }, tree: { kind: 'streams', query: {} } } });
    expect(bulk).toMatchObject({ ok: true, keys: ['diary', 'body', 'tree'] });
    const [, subs] = await call(socket, 'getSubscriptions');
    expect(subs?.['scopes']).toEqual({
      diary: { kind: 'events', query: { streams: ['diary'] } },
      body: { kind: 'events', query: { streams: ['body'], types: ['mass/*'] } },
      tree: { kind: 'streams', query: {} },
    });
    expect((await call(socket, 'unsubscribe', { key: 'diary' }))[1]).toMatchObject({ ok: true, keys: ['body', 'tree'] });
    expect((await call(socket, 'unsubscribe', { all: true }))[1]).toMatchObject({ ok: true, keys: [] });
  });

  it('a change matching a scope sends notificationsChanged with its keys, and nothing else', async () => {
    const { socket, got } = await listen();
    const coarse = await listen();
    await call(socket, 'subscribe', { scopes: { diary: { query: { streams: ['diary'] } }, mass: { query: { streams: ['body'], types: ['mass/kg'] } } } });
    await createEvent(['secret']); // no scope
    await createEvent(['weight'], 'note/txt'); // in body, wrong type
    await createEvent(['weight'], 'mass/kg', 80); // body's child, right type
    await until(got, 1);
    await createEvent(['diary']);
    await until(got, 2);
    expect(got).toEqual([['notificationsChanged', { keys: ['mass'] }], ['notificationsChanged', { keys: ['diary'] }]]);
    // A socket without scopes still gets the coarse message for every change.
    await until(coarse.got, 4);
    expect(coarse.got.every(([m]) => m === 'eventsChanged')).toBe(true);
  });

  it('content queries, updates moving an event out of scope, and streams scopes', async () => {
    const { socket, got } = await listen();
    await call(socket, 'subscribe', { scopes: { heavy: { query: { types: ['mass/kg'], content: [{ path: '$', gt: 100 }] } }, body: { kind: 'streams', query: { streams: ['body'] } } } });
    await createEvent(['weight'], 'mass/kg', 80);
    await createEvent(['weight'], 'mass/kg', 120);
    await until(got, 1);
    expect(got).toEqual([['notificationsChanged', { keys: ['heavy'] }]]);
    // A new child of a watched stream matches a streams scope; a stream elsewhere does not.
    expect((await http('POST', '/streams', { id: 'elsewhere', name: 'elsewhere', parentId: 'diary' })).statusCode).toBe(201);
    expect((await http('POST', '/streams', { id: 'fat', name: 'fat', parentId: 'body' })).statusCode).toBe(201);
    await until(got, 2);
    expect(got[1]).toEqual(['notificationsChanged', { keys: ['body'] }]);
  });

  it('scopes follow stream changes: events in a child stream created after subscribing match', async () => {
    const { socket, got } = await listen();
    await call(socket, 'subscribe', { key: 'diary', query: { streams: ['diary'] } });
    expect((await http('POST', '/streams', { id: 'diary-later', name: 'later', parentId: 'diary' })).statusCode).toBe(201);
    await createEvent(['diary-later']);
    await until(got, 1);
    expect(got).toEqual([['notificationsChanged', { keys: ['diary'] }]]);
  });

  it('a narrowed access loses the scopes it can no longer read', async () => {
    const app = await t.createAccess(u, { type: 'app', name: 'narrowed', permissions: [{ streamId: 'diary', level: 'read' }, { streamId: 'body', level: 'read' }] });
    const { socket } = await listen(app.token);
    await call(socket, 'subscribe', { scopes: { diary: { query: { streams: ['diary'] } }, body: { query: { streams: ['body'] } } } });
    const res = await http('PUT', `/accesses/${app.id}`, { permissions: [{ streamId: 'diary', level: 'read' }] });
    expect(res.statusCode, res.body).toBe(200);
    const end = Date.now() + 3000;
    let scopes: unknown;
    do {
      scopes = (await call(socket, 'getSubscriptions'))[1]?.['scopes'];
      if (Object.keys(scopes as object).length === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < end);
    expect(scopes).toEqual({ diary: { kind: 'events', query: { streams: ['diary'] } } });
  });

  it('a change too large to say what changed (over 16 KiB of items) matches every scope of its kind', async () => {
    const { socket, got } = await listen();
    await call(socket, 'subscribe', { scopes: { diary: { query: { streams: ['diary'] } }, tree: { kind: 'streams', query: {} } } });
    await createEvent(['secret'], 'note/txt', 'x'.repeat(20_000));
    await until(got, 1);
    expect(got).toEqual([['notificationsChanged', { keys: ['diary'] }]]);
  });

  it('unsubscribing everything brings the coarse messages back', async () => {
    const { socket, got } = await listen();
    await call(socket, 'subscribe', { key: 'diary', query: { streams: ['diary'] } });
    await call(socket, 'unsubscribe', { keys: ['diary'] });
    await createEvent(['secret']);
    await until(got, 1);
    expect(got).toEqual([['eventsChanged', undefined]]);
  });

  it('scopes are resolved against the access: unknown or unreadable streams are refused, bad shapes too', async () => {
    const app = await t.createAccess(u, { type: 'app', name: 'diary-only', permissions: [{ streamId: 'diary', level: 'read' }] });
    const { socket, got } = await listen(app.token);
    const refused = async (params: unknown) => (await call(socket, 'subscribe', params))[0]?.error.id;
    expect(await refused({ key: 'k', query: { streams: ['nope'] } })).toBe('unknown-referenced-resource');
    expect(await refused({ key: 'k', query: { streams: ['secret'] } })).toBe('forbidden');
    expect(await refused({ key: 'k', kind: 'tags', query: {} })).toBe('invalid-request-structure');
    expect(await refused({ key: 'k', query: { fromTime: 0 } })).toBe('invalid-request-structure');
    expect(await refused({ key: 'k', query: { content: [{ path: '$', bad: 1 }] } })).toBe('invalid-request-structure');
    expect(await refused({ query: {} })).toBe('invalid-request-structure');
    // Nothing of a refused subscribe is kept, even when part of it was valid.
    expect(await refused({ scopes: { ok: { query: { streams: ['diary'] } }, ko: { query: { streams: ['secret'] } } } })).toBe('forbidden');
    expect((await call(socket, 'getSubscriptions'))[1]?.['scopes']).toEqual({});
    // An empty query means every readable stream: the app hears of diary, never of secret.
    await call(socket, 'subscribe', { key: 'all', query: {} });
    await createEvent(['secret']);
    await createEvent(['diary']);
    await until(got, 1);
    expect(got).toEqual([['notificationsChanged', { keys: ['all'] }]]);
  });
});
