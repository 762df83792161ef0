import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import pryv from 'pryv';
import extendPryvSocketIO from '@pryv/socket.io';
import { startSecondWorker } from '../helpers/second-worker.js';
import { createApiTestApp, MULTI_TEST_ENV, randomUsername, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Pryv API §6 (Socket.IO) on the API app listening on an ephemeral port: the SDK's socket extension
 * and plain socket.io-client, method calls through the shared registry, change messages after
 * writes, refused handshakes, and disconnection of revoked or expired accesses.
 */
extendPryvSocketIO(pryv);

let t: ApiTestApp;
let base: string;
const opened: Socket[] = [];

beforeAll(async () => {
  t = await createApiTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});
afterAll(async () => {
  await t?.close();
});

type Ack = [err: { error: { id: string; message: string; data?: unknown }; meta: { serverTime: number } } | null, res?: Record<string, unknown> & { meta: { serverTime: number } }];

interface ConnectOptions {
  token?: string;
  transports?: ('websocket' | 'polling')[];
  auth?: Record<string, string>;
}

/** A plain socket.io-client socket: resolves on connect, rejects with the connect_error. */
function connect(url: string, opts: ConnectOptions = {}): Promise<Socket> {
  // forceNew: a shared Manager would drop the per-connection `?auth=` query (tooling notes §4).
  const socket = io(url, {
    forceNew: true,
    reconnection: false,
    transports: opts.transports ?? ['websocket'],
    ...(opts.token === undefined ? {} : { query: { auth: opts.token } }),
    ...(opts.auth === undefined ? {} : { auth: opts.auth }),
  });
  opened.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

const connectUser = (u: TestUser, token = u.token, dnsLess = true): Promise<Socket> =>
  connect(`${base}/${dnsLess ? `${u.username}/` : ''}${u.username}`, { token });

function call(socket: Socket, method: string, ...args: unknown[]): Promise<Ack> {
  return new Promise((resolve) => socket.emit(method, ...args, (...answer: unknown[]) => resolve(answer as Ack)));
}

function next(socket: Socket, event: string, timeoutMs = 3000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Resolves with the ms it took the socket to be disconnected (and the client's reason). */
function disconnection(socket: Socket, timeoutMs = 5000): Promise<{ ms: number; reason: string }> {
  const started = Date.now();
  return next(socket, 'disconnect', timeoutMs).then(([reason]) => ({ ms: Date.now() - started, reason: String(reason) }));
}

const http = (u: TestUser, token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: object) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });

describe('Socket.IO with the SDK (@pryv/socket.io)', () => {
  it('opens, runs a batch through socket.api, and relays eventsChanged', async () => {
    const u = await t.createUser();
    const conn = new pryv.Connection(pryv.Service.buildAPIEndpoint({ api: `${base}/{username}/` } as never, u.username, u.token));
    const socket = await conn.socket.open();
    try {
      const [created, event, listed] = await socket.api([
        { method: 'streams.create', params: { id: 'socket-test', name: 'Socket test' } },
        { method: 'events.create', params: { streamIds: ['socket-test'], type: 'note/txt', content: 'hello' } },
        { method: 'events.get', params: { streams: ['socket-test'] } },
      ]);
      expect(created.stream.id).toBe('socket-test');
      expect(listed.events.map((e: { id: string }) => e.id)).toEqual([event.event.id]);
      const changed = new Promise<void>((resolve) => socket.on('eventsChanged', () => resolve()));
      await conn.api([{ method: 'events.create', params: { type: 'note/txt', streamIds: ['socket-test'], content: 'again' } }]);
      await changed;
    } finally {
      socket.close();
    }
  });

  it('refuses a bad token with "Cannot find access from token." and an unknown user with "Unknown user"', async () => {
    const u = await t.createUser();
    const api = { api: `${base}/{username}/` } as never;
    const badToken = new pryv.Connection(pryv.Service.buildAPIEndpoint(api, u.username, 'not-a-token'));
    // username() comes from access-info, which the bad token cannot read: give the SDK the username.
    (badToken as unknown as { username: () => Promise<string> }).username = async () => u.username;
    await expect(badToken.socket.open()).rejects.toThrow('Cannot find access from token.');
    const nobody = randomUsername('nobody');
    const unknown = new pryv.Connection(pryv.Service.buildAPIEndpoint(api, nobody, u.token));
    (unknown as unknown as { username: () => Promise<string> }).username = async () => nobody;
    await expect(unknown.socket.open()).rejects.toThrow(/Unknown user/);
  });
});

describe('Socket.IO method calls (socket.io-client)', () => {
  it('answers (null, {…result, meta}) on both namespace forms; events.get is collected into a plain object', async () => {
    const u = await t.createUser();
    for (const dnsLess of [true, false]) {
      const socket = await connectUser(u, u.token, dnsLess);
      const streamId = `s-${dnsLess ? 'a' : 'b'}`;
      const [err, res] = await call(socket, 'streams.create', { id: streamId, name: streamId });
      expect(err).toBeNull();
      expect(res).toMatchObject({ stream: { id: streamId } });
      expect(res?.meta.serverTime).toBeTypeOf('number');
      const [, created] = await call(socket, 'events.create', { streamIds: [streamId], type: 'note/txt', content: 'x' });
      const [getErr, got] = await call(socket, 'events.get', { streams: [streamId], includeDeletions: true, modifiedSince: 0 });
      expect(getErr).toBeNull();
      expect(got).toMatchObject({ events: [{ id: (created?.['event'] as { id: string } | undefined)?.id }], eventDeletions: [] });
      expect(got?.meta.apiVersion).toBeTypeOf('string');
    }
  });

  it("serves calls from the worker's cached stream tree, and sees a stream written over HTTP meanwhile", async () => {
    const u = await t.createUser();
    const socket = await connectUser(u);
    expect((await call(socket, 'streams.create', { id: 'cached', name: 'Cached' }))[0]).toBeNull();
    // The first call after the write brings the tree up to date; the next ones reuse it.
    await call(socket, 'streams.get', {});
    const trees = t.services.streamTrees;
    const [hits, loads] = [trees.hits, trees.loads];
    for (let i = 0; i < 3; i++) {
      const [err, res] = await call(socket, i === 1 ? 'events.get' : 'streams.get', {});
      expect(err).toBeNull();
      if (i !== 1) expect(((res?.['streams'] ?? []) as { id: string }[]).map((x) => x.id)).toContain('cached');
    }
    // Engines without streams versions (MongoDB) load the tree for every call, over HTTP too.
    const versioned = t.services.stores.users.getWithStreamsVersion !== undefined;
    expect([trees.hits - hits, trees.loads - loads]).toEqual(versioned ? [3, 0] : [0, 3]);
    // A stream created through another path moves the version: the next socket call sees it.
    expect((await http(u, u.token, 'POST', '/streams', { id: 'over-http', name: 'Over HTTP' })).statusCode).toBe(201);
    const [, after] = await call(socket, 'streams.get', {});
    expect(((after?.['streams'] ?? []) as { id: string }[]).map((x) => x.id)).toEqual(expect.arrayContaining(['cached', 'over-http']));
  });

  it('answers errors as ({error, meta}): validation, unknown method, malformed subscribe', async () => {
    const u = await t.createUser();
    const socket = await connectUser(u);
    const [bad] = await call(socket, 'streams.create', { name: 42 });
    expect(bad?.error.id).toBe('invalid-parameters-format');
    expect(bad?.meta.serverTime).toBeTypeOf('number');
    const [unknown, none] = await call(socket, 'no.such.method', {});
    expect(unknown?.error.id).toBe('invalid-method');
    expect(unknown?.meta.serverTime).toBeTypeOf('number');
    expect(none).toBeUndefined();
    const [sub] = await call(socket, 'subscribe', { query: {} });
    expect(sub?.error.id).toBe('invalid-request-structure');
    expect(sub?.meta.serverTime).toBeTypeOf('number');
    // A call without params is acked too.
    const [err, info] = await call(socket, 'getAccessInfo');
    expect(err).toBeNull();
    expect(info).toMatchObject({ type: 'personal', user: { username: u.username } });
  });

  it('runs callBatch in order with one result per call, errors inline', async () => {
    const u = await t.createUser();
    const socket = await connectUser(u);
    const [err, res] = await call(socket, 'callBatch', [
      { method: 'streams.create', params: { id: 'b1', name: 'B1' } },
      { method: 'nope', params: {} },
      { method: 'events.create', params: { streamIds: ['b1'], type: 'note/txt', content: 'in batch' } },
      { method: 'events.get', params: { streams: ['b1'] } },
    ]);
    expect(err).toBeNull();
    const results = res?.['results'] as Record<string, { id?: string }>[];
    expect(results).toHaveLength(4);
    expect(results[0]?.['stream']?.id).toBe('b1');
    expect(results[1]?.['error']?.id).toBe('invalid-method');
    expect((results[3] as unknown as { events: { id: string }[] }).events.map((e) => e.id)).toEqual([results[2]?.['event']?.id]);
    const [notArray] = await call(socket, 'callBatch', { method: 'streams.get' });
    expect(notArray?.error.id).toBe('invalid-request-structure');
  });

  it('accepts the token as socket.io v4 handshake auth ({auth: {token}})', async () => {
    const u = await t.createUser();
    const socket = await connect(`${base}/${u.username}/${u.username}`, { auth: { token: u.token } });
    const [err] = await call(socket, 'streams.get', {});
    expect(err).toBeNull();
  });
});

describe('Socket.IO handshake refusals', () => {
  it('refuses a bad token, a missing token, an unknown user and the main namespace, with the API error in data', async () => {
    const u = await t.createUser();
    const bad = await connectUser(u, 'not-a-token').catch((e: Error & { data?: unknown }) => e);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toBe('Cannot find access from token.');
    expect((bad as { data?: unknown }).data).toMatchObject({ error: { id: 'invalid-access-token' }, meta: {} });
    const missing = await connect(`${base}/${u.username}/${u.username}`).catch((e: Error & { data?: unknown }) => e);
    expect((missing as { data?: { error: { id: string } } }).data?.error.id).toBe('invalid-access-token');
    const nobody = randomUsername('nobody');
    const unknown = await connect(`${base}/${nobody}/${nobody}`, { token: u.token }).catch((e: Error) => e);
    expect((unknown as Error).message).toMatch(/Unknown user/);
    const main = await connect(base, { token: u.token }).catch((e: Error & { data?: { error: { id: string } } }) => e);
    expect((main as { data?: { error: { id: string } } }).data?.error.id).toBe('unknown-resource');
  });

  it('refuses a user homed on another core with wrong-core and its coreUrl (multi-core)', async () => {
    const multi = await createApiTestApp({ ...MULTI_TEST_ENV, HOMECORE_PLATFORM__DOMAIN: 'example.test', HOMECORE_CORE__ID: `here-${randomUsername('c')}` });
    const other = `other-${randomUsername('c')}`;
    try {
      await multi.app.listen({ port: 0, host: '127.0.0.1' });
      await multi.services.platform.cores.upsert({ id: other, url: 'https://other-core.example.test/', hosting: `h-${other}`, available: true });
      const far = randomUsername('far');
      await multi.services.platform.registerUser(far, other, { email: `${far}@example.test` });
      const url = `http://127.0.0.1:${(multi.app.server.address() as AddressInfo).port}/${far}`;
      const err = await connect(url, { token: 'any-token' }).catch((e: Error & { data?: { error: Record<string, unknown> } }) => e);
      expect((err as { data?: { error: Record<string, unknown> } }).data?.error).toMatchObject({
        id: 'wrong-core',
        coreUrl: 'https://other-core.example.test/',
        data: { coreUrl: 'https://other-core.example.test/' },
      });
    } finally {
      await multi.rqlite.execute([['DELETE FROM users WHERE core_id = ?', other], ['DELETE FROM cores WHERE id = ?', other]]).catch(() => undefined);
      await multi.close();
    }
  });

  it('refuses long-polling with a clear 400 (websocket only)', async () => {
    const res = await fetch(`${base}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { id: string; message: string } };
    expect(body.error).toMatchObject({ id: 'invalid-request-structure' });
    expect(body.error.message).toMatch(/WebSocket only/);
    const u = await t.createUser();
    await expect(connect(`${base}/${u.username}/${u.username}`, { token: u.token, transports: ['polling'] })).rejects.toThrow();
  });
});

describe('Socket.IO change messages', () => {
  it('sends eventsChanged, streamsChanged, accessesChanged and accessUpdated after writes, to every socket of the user only', async () => {
    const u = await t.createUser();
    const other = await t.createUser();
    const [a, b, stranger] = await Promise.all([connectUser(u), connectUser(u, u.token, false), connectUser(other)]);
    let strangerGot = 0;
    stranger.onAny(() => (strangerGot += 1));

    let pending = [next(a, 'streamsChanged'), next(b, 'streamsChanged')];
    expect((await http(u, u.token, 'POST', '/streams', { id: 'n', name: 'N' })).statusCode).toBe(201);
    await Promise.all(pending);

    pending = [next(a, 'eventsChanged'), next(b, 'eventsChanged')];
    expect((await http(u, u.token, 'POST', '/events', { streamIds: ['n'], type: 'note/txt', content: 'x' })).statusCode).toBe(201);
    await Promise.all(pending);

    pending = [next(a, 'accessesChanged')];
    const created = await http(u, u.token, 'POST', '/accesses', { name: 'app', type: 'app', permissions: [{ streamId: 'n', level: 'read' }] });
    expect(created.statusCode).toBe(201);
    await Promise.all(pending);

    const id = created.json().access.id as string;
    const updated = next(a, 'accessUpdated');
    expect((await http(u, u.token, 'PUT', `/accesses/${id}`, { name: 'renamed' })).statusCode).toBe(200);
    expect((await updated)[0]).toEqual({ type: 'access-updated', accessId: `${id}:1`, serial: 1 });

    // A write by the socket itself notifies it too.
    const own = next(a, 'eventsChanged');
    await call(a, 'events.create', { streamIds: ['n'], type: 'note/txt', content: 'y' });
    await own;
    expect(strangerGot).toBe(0);
  });
});

describe('Socket.IO access re-checks', () => {
  it('disconnects the sockets of a deleted access within 1 s; other accesses stay connected', async () => {
    const u = await t.createUser();
    const shared = await t.createAccess(u, { type: 'shared', permissions: [{ streamId: '*', level: 'read' }] });
    const [s1, s2, personal] = await Promise.all([connectUser(u, shared.token), connectUser(u, shared.token, false), connectUser(u)]);
    const gone = [disconnection(s1), disconnection(s2)];
    expect((await http(u, u.token, 'DELETE', `/accesses/${shared.id}`)).statusCode).toBe(200);
    for (const d of await Promise.all(gone)) {
      expect(d.ms).toBeLessThan(1000);
      expect(d.reason).toBe('io server disconnect');
    }
    expect(personal.connected).toBe(true);
    const [err] = await call(personal, 'streams.get', {});
    expect(err).toBeNull();
  });

  it('disconnects a socket when its access expires', async () => {
    const u = await t.createUser();
    const expires = Date.now() / 1000 + 1.5;
    const short = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }], expires });
    const socket = await connectUser(u, short.token);
    const [err] = await call(socket, 'streams.get', {});
    expect(err).toBeNull();
    const d = await disconnection(socket);
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(expires);
    expect(Date.now() / 1000 - expires).toBeLessThan(1);
    expect(d.reason).toBe('io server disconnect');
  });

  it('disconnects within 1 s a socket held by another worker whose access cache still holds the revoked token', async () => {
    const b = await secondWorker();
    try {
      const u = await t.createUser();
      const shared = await t.createAccess(u, { type: 'shared', permissions: [{ streamId: '*', level: 'read' }] });
      const socket = await connect(`${b.base}/${u.username}/${u.username}`, { token: shared.token });
      // Warms B's cache with the live access.
      expect((await call(socket, 'streams.get', {}))[0]).toBeNull();
      const gone = disconnection(socket);
      expect((await http(u, u.token, 'DELETE', `/accesses/${shared.id}`)).statusCode).toBe(200);
      expect((await gone).ms).toBeLessThan(1000);
    } finally {
      await b.close();
    }
  });

});

describe('Socket.IO shutdown', () => {
  it('closes its sockets when the app closes, as a transport close (clients reconnect elsewhere)', async () => {
    const b = await secondWorker();
    const u = await t.createUser();
    const socket = await connect(`${b.base}/${u.username}/${u.username}`, { token: u.token });
    const gone = disconnection(socket);
    const started = Date.now();
    await b.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await gone).reason).toBe('transport close');
  });
});

/** A second "worker" (its own app and access cache on the same database, fed by the same bus as the master's relay does), listening. */
async function secondWorker(): Promise<{ base: string; close: () => Promise<void> }> {
  const w = await startSecondWorker(t, t.services.bus);
  await w.app.listen({ port: 0, host: '127.0.0.1' });
  return { base: `http://127.0.0.1:${(w.app.server.address() as AddressInfo).port}`, close: w.close };
}
