import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { deleteAllWebhooks } from '../helpers/webhook-records.js';
import { sleep, startReceiver, waitFor, type Receiver } from '../helpers/webhook-receiver.js';
import type { Access } from '../../src/domain/types.js';

/**
 * Webhook scope queries (docs/api.md#webhooks, "Scopes"): checked when set, evaluated at each change
 * against the webhook's access, through real calls to a node:http receiver on 127.0.0.1.
 */

let t: ApiTestApp;
const receivers: Receiver[] = [];
beforeAll(async () => {
  t = await createApiTestApp({
    HOMECORE_WEBHOOKS__MIN_INTERVAL_MS: '1000',
    HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]',
  });
});
afterEach(async () => {
  await deleteAllWebhooks(t);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await t?.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const callOn = (u: TestUser, token: string, method: 'POST' | 'PUT', path: string, payload: object) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, payload });

interface Ctx { u: TestUser; app: Access }
async function user(): Promise<Ctx> {
  const u = await t.createUser();
  for (const [id, name] of [['diary', 'Diary'], ['private', 'Private']]) {
    expect((await callOn(u, u.token, 'POST', '/streams', { id, name })).statusCode).toBe(201);
  }
  return { u, app: await t.createAccess(u, { type: 'app', permissions: [{ streamId: 'diary', level: 'manage' }] }) };
}
async function hook(c: Ctx, url: string, extra: object = {}): Promise<void> {
  const res = await callOn(c.u, c.app.token, 'POST', '/webhooks', { url, ...extra });
  expect(res.statusCode, res.body).toBe(201);
}
async function newEvent(c: Ctx): Promise<void> {
  expect((await callOn(c.u, c.u.token, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'hi' })).statusCode).toBe(201);
}
async function newStream(c: Ctx): Promise<void> {
  expect((await callOn(c.u, c.u.token, 'POST', '/streams', { name: `s-${Math.random()}`, parentId: 'diary' })).statusCode).toBe(201);
}

describe('webhook scope queries', () => {
  it('evaluates scope queries against the webhook\'s access: only matching changes name their key', async () => {
    const r = await receiver();
    const c = await user();
    await hook(c, r.url, {
      scopes: {
        notes: { query: { types: ['note/txt'] } },
        heavy: { query: { streams: ['diary'], types: ['mass/kg'], content: [{ path: '$', gt: 100 }] } },
        tree: { kind: 'streams', query: { streams: ['diary'] } },
      },
    });
    const create = async (streamId: string, type: string, content: unknown) =>
      expect((await callOn(c.u, c.u.token, 'POST', '/events', { streamIds: [streamId], type, content })).statusCode).toBe(201);
    await create('private', 'note/txt', 'outside the access'); // notes: not readable by the webhook's access
    await create('diary', 'mass/kg', 80); // heavy: too light
    await sleep(400);
    expect(r.calls).toHaveLength(0);
    await create('diary', 'mass/kg', 120); // heavy
    await newEvent(c); // notes
    // One call or two (the first change may be sent before the second is queued): these keys only.
    await waitFor('both keys', () => (r.calls.flatMap((x) => x.messages).length >= 2 ? true : undefined));
    expect(r.calls.flatMap((x) => x.messages).sort()).toEqual(['heavy', 'notes']);
    const before = r.calls.length;
    await newStream(c); // a child of diary: tree
    expect((await waitFor('the tree call', () => r.calls[before])).messages).toEqual(['tree']);
  });

  it('refuses scope queries that do not resolve for the creating access', async () => {
    const c = await user();
    const create = (scopes: object) => callOn(c.u, c.app.token, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/x', scopes });
    expect((await create({ k: { query: { streams: ['nope'] } } })).json().error.id).toBe('unknown-referenced-resource');
    expect((await create({ k: { query: { streams: ['private'] } } })).json().error.id).toBe('forbidden');
    expect((await create({ k: { query: { fromTime: 1 } } })).json().error.id).toBe('invalid-request-structure');
  });
});
