import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { startSecondWorker } from '../helpers/second-worker.js';

/**
 * Two API "workers" on one database, as under node:cluster or two clones, with nothing relayed
 * between them (test/helpers/second-worker.ts). No worker caches users or accesses (issue #10:
 * src/api/resolve-user.ts reads them on every request), so a change acknowledged by A is seen by
 * the very next request on B: no wait, no retry loop.
 */
let a: ApiTestApp;
let b: FastifyInstance;
let closeB: () => Promise<void>;
let flushB: () => Promise<void>;

beforeAll(async () => {
  a = await createApiTestApp();
  const second = await startSecondWorker(a);
  b = second.app;
  flushB = () => second.services.accessCache.flush();
  closeB = second.close;
});
afterAll(async () => {
  await closeB?.();
  await a?.close();
});

const info = (app: FastifyInstance, u: TestUser, token: string) => app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: token } });

/** A shared access on a new stream, made through worker A's API; B has used it once (its lookups warm). */
async function sharedAccess(u: TestUser): Promise<{ id: string; token: string; streamId: string }> {
  const streamId = `s${Math.random().toString(36).slice(2, 8)}`;
  expect((await a.app.inject({ method: 'POST', url: `/${u.username}/streams`, headers: { authorization: u.token }, payload: { id: streamId, name: streamId } })).statusCode).toBe(201);
  const res = await a.app.inject({ method: 'POST', url: `/${u.username}/accesses`, headers: { authorization: u.token }, payload: { name: `shared-${streamId}`, permissions: [{ streamId, level: 'read' }] } });
  expect(res.statusCode).toBe(201);
  const access = res.json<{ access: { id: string; token: string } }>().access;
  expect((await info(b, u, access.token)).statusCode).toBe(200);
  return { ...access, streamId };
}

describe('users and accesses across workers: the next request sees an acknowledged change', () => {
  it('a session logged out through worker A is refused by B at once', async () => {
    const u = await a.createUser();
    expect((await info(b, u, u.token)).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'POST', url: `/${u.username}/auth/logout`, headers: { authorization: u.token } })).statusCode).toBe(200);
    const res = await info(b, u, u.token);
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: { id: string } }>().error.id).toBe('invalid-access-token');
  });

  it('an access deleted through worker A is refused by B at once (events.get too)', async () => {
    const u = await a.createUser();
    const shared = await sharedAccess(u);
    expect((await b.inject({ method: 'GET', url: `/${u.username}/events`, headers: { authorization: shared.token } })).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'DELETE', url: `/${u.username}/accesses/${shared.id}`, headers: { authorization: u.token } })).statusCode).toBe(200);
    for (const url of [`/${u.username}/access-info`, `/${u.username}/events`]) {
      const res = await b.inject({ method: 'GET', url, headers: { authorization: shared.token } });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ error: { id: string } }>().error.id).toBe('invalid-access-token');
    }
  });

  it('an access whose expiry was moved into the past is refused by B at once', async () => {
    const u = await a.createUser();
    const shared = await sharedAccess(u);
    await a.services.stores.accesses.update(u.user.id, shared.id.split(':')[0] ?? shared.id, { expires: Date.now() / 1000 - 10 });
    const res = await info(b, u, shared.token);
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: { id: string } }>().error.id).toBe('forbidden');
  });

  it("an access updated through worker A is served by B with its new permissions at once", async () => {
    const u = await a.createUser();
    const shared = await sharedAccess(u);
    const upd = await a.app.inject({ method: 'PUT', url: `/${u.username}/accesses/${shared.id}`, headers: { authorization: u.token }, payload: { permissions: [{ streamId: shared.streamId, level: 'contribute' }] } });
    expect(upd.statusCode).toBe(200);
    const res = await info(b, u, shared.token);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ permissions: { level: string }[] }>().permissions.map((p) => p.level)).toEqual(['contribute']);
    // The caller now may write there, on B, at once.
    const created = await b.inject({ method: 'POST', url: `/${u.username}/events`, headers: { authorization: shared.token }, payload: { streamIds: [shared.streamId], type: 'note/txt', content: 'x' } });
    expect(created.statusCode).toBe(201);
  });

  it('a user deleted through worker A is unknown to B at once', async () => {
    const u = await a.createUser();
    expect((await info(b, u, u.token)).statusCode).toBe(200);
    const del = await a.app.inject({ method: 'DELETE', url: `/users/${u.username}`, headers: { authorization: a.services.secrets.adminAccessKey } });
    expect(del.statusCode).toBe(200);
    const res = await info(b, u, u.token);
    expect(res.statusCode).toBe(404);
    expect(res.json<{ error: { id: string } }>().error.id).toBe('unknown-resource');
  });

  it('a password changed through worker A is the one B checks next', async () => {
    const u = await a.createUser();
    const change = (app: FastifyInstance, oldPassword: string, newPassword: string) =>
      app.inject({ method: 'POST', url: `/${u.username}/account/change-password`, headers: { authorization: u.token }, payload: { oldPassword, newPassword } });
    expect((await info(b, u, u.token)).statusCode).toBe(200);
    expect((await change(a.app, u.password, 'another-good-password')).statusCode).toBe(200);
    // B checks against the new hash: the old password no longer passes.
    const stale = await change(b, u.password, 'a-third-good-password');
    expect(stale.statusCode).toBe(400);
    expect(stale.json<{ error: { id: string } }>().error.id).toBe('invalid-operation');
    expect((await change(b, 'another-good-password', 'a-third-good-password')).statusCode).toBe(200);
  });

  it('records usage (lastUsed, calls per method) from every worker without losing counts', async () => {
    const u = await a.createUser();
    for (let i = 0; i < 3; i++) await info(a.app, u, u.token);
    for (let i = 0; i < 2; i++) await info(b, u, u.token);
    // Both workers flush concurrently: the store adds the counts (PostgreSQL: in SQL; MongoDB: under
    // the access's lock document, docs/mongodb.md#guarantees), so none is lost.
    await Promise.all([a.services.accessCache.flush(), flushB()]);
    const session = (await a.services.stores.accesses.list(u.user.id)).find((x) => x.type === 'personal');
    expect(session?.calls['getAccessInfo']).toBe(5);
    expect(Number(session?.lastUsed)).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
