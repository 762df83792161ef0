import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApiTestApp, type ApiTestApp } from '../helpers/api-app.js';
import { startSecondWorker } from '../helpers/second-worker.js';

/** Two API "workers" (each with its own access cache) on one database, as under node:cluster. */
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

describe('token → access cache across workers', () => {
  it('refuses on worker B within 1 s a session logged out through worker A', async () => {
    const u = await a.createUser();
    const url = `/${u.username}/access-info`;
    // Warm B's cache with the live session.
    expect((await b.inject({ method: 'GET', url, headers: { authorization: u.token } })).statusCode).toBe(200);
    expect((await a.app.inject({ method: 'POST', url: `/${u.username}/auth/logout`, headers: { authorization: u.token } })).statusCode).toBe(200);
    // A refuses at once (its own cache was dropped)…
    expect((await a.app.inject({ method: 'GET', url, headers: { authorization: u.token } })).statusCode).toBe(403);
    // …and B within the cache's lifetime (auth.accessCacheMs ≤ 1000 ms).
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 3000) {
      status = (await b.inject({ method: 'GET', url, headers: { authorization: u.token } })).statusCode;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(403);
    expect(Date.now() - started).toBeLessThanOrEqual(a.config.auth.accessCacheMs + 300);
  });

  it('records usage (lastUsed, calls per method) from every worker without losing counts', async () => {
    const u = await a.createUser();
    const url = `/${u.username}/access-info`;
    for (let i = 0; i < 3; i++) await a.app.inject({ method: 'GET', url, headers: { authorization: u.token } });
    for (let i = 0; i < 2; i++) await b.inject({ method: 'GET', url, headers: { authorization: u.token } });
    // Both workers flush concurrently: the store adds the counts (PostgreSQL: in SQL; MongoDB: under
    // the access's lock document, docs/mongodb.md#guarantees), so none is lost.
    await Promise.all([a.services.accessCache.flush(), flushB()]);
    const session = (await a.services.stores.accesses.list(u.user.id)).find((x) => x.type === 'personal');
    expect(session?.calls['getAccessInfo']).toBe(5);
    expect(Number(session?.lastUsed)).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
