import { expect } from 'vitest';
import type { Access } from '../../src/domain/types.js';
import type { ApiTestApp, TestUser } from './api-app.js';
import { waitFor } from './webhook-receiver.js';

/** Calls, users with a webhook-ready access, and what a webhook's records show (webhook delivery tests). */

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
export const callOn = (a: ApiTestApp, u: TestUser, token: string, method: Verb, path: string, payload?: object) =>
  a.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });

export interface Ctx {
  a: ApiTestApp;
  u: TestUser;
  app: Access;
}
/** A user with a `diary` stream and an app access managing it: the webhook tests' subject. */
export async function user(a: ApiTestApp): Promise<Ctx> {
  const u = await a.createUser();
  const res = await callOn(a, u, u.token, 'POST', '/streams', { id: 'diary', name: 'Diary' });
  expect(res.statusCode).toBe(201);
  return { a, u, app: await a.createAccess(u, { type: 'app', permissions: [{ streamId: 'diary', level: 'manage' }] }) };
}
export async function hook(c: Ctx, url: string, extra: object = {}): Promise<{ id: string; secret: string }> {
  const res = await callOn(c.a, c.u, c.app.token, 'POST', '/webhooks', { url, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().webhook;
}
export async function newEvent(c: Ctx): Promise<string> {
  const res = await callOn(c.a, c.u, c.u.token, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'hi' });
  expect(res.statusCode).toBe(201);
  return res.json().event.id;
}
export async function newStream(c: Ctx): Promise<void> {
  expect((await callOn(c.a, c.u, c.u.token, 'POST', '/streams', { name: `s-${Math.random()}`, parentId: 'diary' })).statusCode).toBe(201);
}
export async function stored(c: Ctx, id: string) {
  const w = await c.a.services.stores.webhooks.get(c.u.user.id, id);
  if (w === null) throw new Error(`webhook ${id} is gone`);
  return w;
}
/**
 * A call's outcome (the webhook's counters) and the release of its delivery are two writes: one
 * transaction on PostgreSQL, one after the other on FerretDB (docs/mongodb.md#guarantees). Once the
 * counters show the outcome, the delivery is gone at once on the first and very soon on the second.
 */
export async function noPendingDelivery(c: Ctx, id: string): Promise<void> {
  await waitFor('no pending delivery', async () => (await pendingRows(c, id)).length === 0, 5000);
}
export async function pendingRows(c: Ctx, id: string): Promise<{ messages: string[]; sending: string[] | null }[]> {
  return c.a.records.pendingDeliveries(c.u.user.id, id);
}
