import { randomBytes, scryptSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { FastifyInstance } from 'fastify';
import { buildServices } from '../../src/worker/services.js';
import { buildApiApp } from '../../src/http/api-app.js';
import { Readiness } from '../../src/health/readiness.js';
import { createLogger } from '../../src/logging/logger.js';
import { sleep } from '../../src/util/backoff.js';
import { createApiTestApp, randomUsername, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Issue #16, hole 1: password guessing. With a read-only shared token, one batch ran 200 wrong
 * logins and its 201st call returned a personal token. Login, account and password methods are
 * refused in batches (HTTP and Socket.IO), and failed logins are limited per username and per client
 * address with counters in PostgreSQL, shared by every app (worker) on the database.
 */
const ORIGIN = 'http://127.0.0.1:3000';
const limit = (name: string, free: number, base: number, max: number, forget: number): Record<string, string> => ({
  [`HOMECORE_ATTEMPT_LIMITS__${name}__FREE`]: String(free),
  [`HOMECORE_ATTEMPT_LIMITS__${name}__BASE_DELAY_SECONDS`]: String(base),
  [`HOMECORE_ATTEMPT_LIMITS__${name}__MAX_DELAY_SECONDS`]: String(max),
  [`HOMECORE_ATTEMPT_LIMITS__${name}__FORGET_AFTER_SECONDS`]: String(forget),
});

let t: ApiTestApp;
/** A second API app (another worker) on the same database and platform DB. */
let other: FastifyInstance;
let closeOther: () => Promise<void>;
let base: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  t = await createApiTestApp({
    ...limit('LOGIN_PER_USERNAME', 3, 60, 60, 3600),
    ...limit('LOGIN_PER_ADDRESS', 6, 60, 60, 3600),
    ...limit('REGISTRATION_PER_ADDRESS', 2, 60, 60, 3600),
    ...limit('PASSWORD_RESET_PER_ADDRESS', 2, 60, 60, 3600),
    ...limit('ACCESS_REQUEST_PER_ADDRESS', 2, 60, 60, 3600),
  });
  const logger = createLogger({ level: 'silent', role: 'test' });
  const services = buildServices({ config: t.config, logger, secrets: t.services.secrets, engine: t.engine, rqlite: t.rqlite });
  other = await buildApiApp(services, new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 }));
  await other.ready();
  closeOther = async () => {
    await other.close();
    await services.close();
  };
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await closeOther?.();
  await t?.close();
});

let nextAddress = 1;
/** Each test its own client address, so per-address counters do not add up across tests. */
const newAddress = (): string => `10.1.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

function login(app: FastifyInstance, u: TestUser, password: string, remoteAddress: string) {
  return app.inject({
    method: 'POST',
    url: `/${u.username}/auth/login`,
    remoteAddress,
    headers: { origin: ORIGIN },
    payload: { username: u.username, password, appId: 'guessing-app' },
  });
}

const readOnly = async (u: TestUser): Promise<string> =>
  (await t.createAccess(u, { type: 'shared', permissions: [{ streamId: '*', level: 'read' }] })).token;

describe('batch calls refuse login, account and password methods', () => {
  const forbidden = ['auth.login', 'account.get', 'account.update', 'account.changePassword', 'account.requestPasswordReset', 'account.resetPassword'];

  it('HTTP: a read-only shared token cannot guess passwords nor get a personal token in a batch', async () => {
    const u = await t.createUser();
    const guesses = ['guess-1', 'guess-2', u.password].map((password) => ({
      method: 'auth.login',
      params: { username: u.username, password, appId: 'guessing-app' },
    }));
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: await readOnly(u), origin: ORIGIN }, payload: guesses });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as { error?: { id: string; data: unknown }; token?: string }[];
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.token).toBeUndefined();
      expect(r.error).toMatchObject({ id: 'forbidden', data: { method: 'auth.login', reason: 'not-in-batch' } });
    }
    expect(res.body).not.toContain('"token"');
  });

  it('HTTP: each account and password method gets its own error, the other calls still run', async () => {
    const u = await t.createUser();
    const calls = [...forbidden.map((method) => ({ method, params: {} })), { method: 'streams.get', params: {} }];
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: u.token }, payload: calls });
    const results = res.json().results as { error?: { id: string; data: { method: string } }; streams?: unknown[] }[];
    expect(results.slice(0, forbidden.length).map((r) => [r.error?.id, r.error?.data.method])).toEqual(forbidden.map((m) => ['forbidden', m]));
    expect(results[forbidden.length]?.streams).toBeInstanceOf(Array);
  });

  it('Socket.IO callBatch refuses them the same way', async () => {
    const u = await t.createUser();
    const socket = io(`${base}/${u.username}/${u.username}`, { forceNew: true, reconnection: false, transports: ['websocket'], query: { auth: await readOnly(u) } });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const calls = [{ method: 'auth.login', params: { username: u.username, password: u.password, appId: 'guessing-app' } }, { method: 'account.get', params: {} }];
    const [err, res] = await new Promise<unknown[]>((resolve) => socket.emit('callBatch', calls, (...a: unknown[]) => resolve(a)));
    expect(err).toBeNull();
    const results = (res as { results: { error?: { id: string }; token?: string }[] }).results;
    expect(results.map((r) => r.error?.id)).toEqual(['forbidden', 'forbidden']);
    expect(JSON.stringify(res)).not.toContain('"token"');
  });
});

describe('failed logins per username', () => {
  it('locks after the allowed failures: 429 too-many-attempts with Retry-After, even for the right password', async () => {
    const u = await t.createUser();
    const address = newAddress();
    for (let i = 0; i < 3; i++) {
      const wrong = await login(t.app, u, `wrong-${i}`, address);
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.id).toBe('invalid-credentials');
    }
    const right = await login(t.app, u, u.password, address);
    expect(right.statusCode).toBe(429);
    expect(right.json().error).toMatchObject({ id: 'too-many-attempts' });
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(right.json().error.data.retryAfter).toBe(Number(right.headers['retry-after']));
    expect(right.body).not.toContain('"token"');
    // Another address does not help: the username itself is locked.
    expect((await login(t.app, u, u.password, newAddress())).statusCode).toBe(429);
  });

  it('counts across two API apps on one database, one by one under parallel guesses', async () => {
    const u = await t.createUser();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_v, i) => login(i % 2 === 0 ? t.app : other, u, `parallel-${i}`, newAddress())),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
    // Locked on both apps.
    expect((await login(other, u, u.password, newAddress())).statusCode).toBe(429);
    expect((await login(t.app, u, u.password, newAddress())).statusCode).toBe(429);
  });

  it('a successful login clears the failures; the lock opens after its delay', async () => {
    // The delay starts when the failing attempt is counted, before its scrypt (≈ 1–3 s here): long
    // enough that the next attempt still finds the lock.
    const short = await createApiTestApp(limit('LOGIN_PER_USERNAME', 2, 8, 8, 3600));
    try {
      const u = await short.createUser();
      const address = newAddress();
      expect((await login(short.app, u, 'wrong-1', address)).statusCode).toBe(401);
      // One failure left: the right password works and forgets the failure.
      expect((await login(short.app, u, u.password, address)).statusCode).toBe(200);
      expect((await login(short.app, u, 'wrong-2', address)).statusCode).toBe(401);
      expect((await login(short.app, u, 'wrong-3', address)).statusCode).toBe(401);
      const locked = await login(short.app, u, u.password, address);
      expect(locked.statusCode).toBe(429);
      await sleep(Number(locked.headers['retry-after']) * 1000 + 200);
      const open = await login(short.app, u, u.password, address);
      expect(open.statusCode).toBe(200);
      expect(open.json().token).toBeTypeOf('string');
    } finally {
      await short.close();
    }
  });
});

describe('per client address', () => {
  it('limits logins from one address across usernames', async () => {
    const address = newAddress();
    const users = await Promise.all([t.createUser(), t.createUser(), t.createUser()]);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await login(t.app, users[i % 3] as TestUser, `wrong-${i}`, address)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    // Another address is not locked.
    expect((await login(t.app, users[0] as TestUser, users[0]?.password ?? '', newAddress())).statusCode).toBe(200);
  });

  it('limits registrations', async () => {
    const address = newAddress();
    const register = (remoteAddress: string) => {
      const username = randomUsername('lim');
      return t.app.inject({ method: 'POST', url: '/users', remoteAddress, payload: { username, password: 'secret-pass', email: `${username}@example.test`, appId: 'my-test-app' } });
    };
    expect((await register(address)).statusCode).toBe(201);
    expect((await register(address)).statusCode).toBe(201);
    const third = await register(address);
    expect(third.statusCode).toBe(429);
    expect(third.json().error.id).toBe('too-many-attempts');
    expect(third.headers['retry-after']).toBeDefined();
    expect((await register(newAddress())).statusCode).toBe(201);
  });

  it('limits password-reset requests', async () => {
    const u = await t.createUser();
    const address = newAddress();
    const ask = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: `/${u.username}/account/request-password-reset`, remoteAddress, headers: { origin: ORIGIN }, payload: { appId: 'reset-app' } });
    expect((await ask(address)).statusCode).toBe(200);
    expect((await ask(address)).statusCode).toBe(200);
    const third = await ask(address);
    expect(third.statusCode).toBe(429);
    expect(third.json().error.id).toBe('too-many-attempts');
    expect((await ask(newAddress())).statusCode).toBe(200);
  });

  it('limits access requests', async () => {
    const address = newAddress();
    const start = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/reg/access', remoteAddress, payload: { requestingAppId: 'my-app', requestedPermissions: [{ streamId: 'diary', level: 'read' }] } });
    expect((await start(address)).statusCode).toBe(201);
    expect((await start(address)).statusCode).toBe(201);
    const third = await start(address);
    expect(third.statusCode).toBe(429);
    expect(third.json().error.id).toBe('too-many-attempts');
    expect((await start(newAddress())).statusCode).toBe(201);
  });
});

describe('password hashes at login', () => {
  it('upgrades a hash made with the former scrypt cost once the password is known', async () => {
    const u = await t.createUser({ password: 'former-cost-password' });
    const salt = randomBytes(16);
    const key = scryptSync(u.password, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = ['scrypt', 2 ** 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await t.services.stores.users.update(u.user.id, { passwordHash: old });
    expect((await login(t.app, u, u.password, newAddress())).statusCode).toBe(200);
    const upgraded = (await t.services.stores.users.getByUsername(u.username))?.passwordHash ?? '';
    expect(upgraded.startsWith(`scrypt$${2 ** 17}$8$1$`)).toBe(true);
    expect((await login(t.app, u, u.password, newAddress())).statusCode).toBe(200);
  });
});
