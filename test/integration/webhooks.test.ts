import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { signatureIsValid, startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import type { Access } from '../../src/domain/types.js';

/** webhooks.* methods and their rules (Pryv API §2.6, §3; issue #5). Delivery: webhooks-delivery.test.ts. */

let t: ApiTestApp;
let ok: Receiver;
let failing: Receiver;
beforeAll(async () => {
  ok = await startReceiver(() => 200);
  failing = await startReceiver(() => 500);
  t = await createApiTestApp({
    HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]',
    HOMECORE_WEBHOOKS__MAX_PER_ACCESS: '3',
    HOMECORE_WEBHOOKS__MAX_RETRIES: '4',
    HOMECORE_WEBHOOKS__MIN_INTERVAL_MS: '60000',
    HOMECORE_WEBHOOKS__REQUEST_TIMEOUT_MS: '1000',
  });
});
afterAll(async () => {
  await t?.close();
  await ok?.close();
  await failing?.close();
});

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (u: TestUser, token: string, method: Verb, path: string, payload?: object) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });

interface Setup {
  u: TestUser;
  app: Access;
  otherApp: Access;
  shared: Access;
}
async function setup(): Promise<Setup> {
  const u = await t.createUser();
  const permissions = [{ streamId: '*', level: 'read' as const }];
  return {
    u,
    app: await t.createAccess(u, { type: 'app', permissions }),
    otherApp: await t.createAccess(u, { type: 'app', permissions }),
    shared: await t.createAccess(u, { type: 'shared', permissions }),
  };
}
async function createHook(s: Setup, token: string, url = `${ok.url}?${Math.random()}`): Promise<{ id: string; secret: string }> {
  const res = await call(s.u, token, 'POST', '/webhooks', { url });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().webhook;
}

describe('webhooks.create', () => {
  it('creates an active webhook for an app access, with the secret in this result only', async () => {
    const s = await setup();
    const url = `${ok.url}?a`;
    const res = await call(s.u, s.app.token, 'POST', '/webhooks', { url });
    expect(res.statusCode).toBe(201);
    const { webhook } = res.json();
    expect(webhook).toEqual({
      id: expect.stringMatching(/^[a-z][a-z0-9]{23}$/),
      accessId: s.app.id,
      url,
      state: 'active',
      runCount: 0,
      failCount: 0,
      currentRetries: 0,
      maxRetries: 4,
      minIntervalMs: 60000,
      runs: [],
      lastRun: { status: 0, timestamp: 0 },
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      created: expect.any(Number),
      createdBy: s.app.id,
      modified: expect.any(Number),
      modifiedBy: s.app.id,
    });
    for (const path of ['/webhooks', `/webhooks/${webhook.id}`]) {
      expect((await call(s.u, s.app.token, 'GET', path)).body).not.toContain(webhook.secret);
    }
    // Stored sealed, not in clear: nowhere in the database, whatever the engine.
    const stored = await t.storedText();
    expect(stored).toContain(webhook.id);
    expect(stored).not.toContain(webhook.secret);
  });

  it('accepts scopes and shows them back', async () => {
    const s = await setup();
    // Scope queries are resolved against the access when set: the stream must exist.
    expect((await call(s.u, s.u.token, 'POST', '/streams', { id: 'diary', name: 'Diary' })).statusCode).toBe(201);
    const scopes = { diary: { kind: 'events', query: { streams: ['diary'] } }, tree: { kind: 'streams' } };
    const res = await call(s.u, s.shared.token, 'POST', '/webhooks', { url: ok.url, scopes });
    expect(res.statusCode).toBe(201);
    expect(res.json().webhook).toMatchObject({ accessId: s.shared.id, scopes });
  });

  it('refuses the same url twice for one access (409) but not for another access', async () => {
    const s = await setup();
    await createHook(s, s.app.token, ok.url);
    const again = await call(s.u, s.app.token, 'POST', '/webhooks', { url: ok.url });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ id: 'item-already-exists', data: { url: ok.url } });
    expect((await call(s.u, s.otherApp.token, 'POST', '/webhooks', { url: ok.url })).statusCode).toBe(201);
  });

  it('accepts a public address that is not allow-listed', async () => {
    const s = await setup();
    // TEST-NET-3: public (not a refused range), never routed, so nothing is ever called.
    const res = await call(s.u, s.app.token, 'POST', '/webhooks', { url: 'https://203.0.113.10/hook' });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('caps the webhooks of one access at webhooks.maxPerAccess', async () => {
    const s = await setup();
    for (let i = 0; i < 3; i++) await createHook(s, s.app.token);
    const res = await call(s.u, s.app.token, 'POST', '/webhooks', { url: `${ok.url}?over` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ id: 'invalid-operation', data: { limit: 3 } });
  });

  type Who = 'personal' | 'app';
  it.each<[string, Who, object, number, string]>([
    ['a personal access', 'personal', { url: 'http://127.0.0.1:9/x' }, 403, 'forbidden'],
    ['a missing url', 'app', {}, 400, 'invalid-parameters-format'],
    ['a url that is not a URL', 'app', { url: 'not a url' }, 400, 'invalid-parameters-format'],
    ['a non-http scheme', 'app', { url: 'ftp://127.0.0.1/x' }, 400, 'invalid-parameters-format'],
    ['an unknown param', 'app', { url: 'http://127.0.0.1:9/x', name: 'x' }, 400, 'invalid-parameters-format'],
    ['a bad scope kind', 'app', { url: 'http://127.0.0.1:9/x', scopes: { k: { kind: 'users' } } }, 400, 'invalid-parameters-format'],
    ['a private 10/8 address', 'app', { url: 'http://10.1.2.3/x' }, 400, 'invalid-parameters-format'],
    ['a private 172.16/12 address', 'app', { url: 'http://172.20.0.1/x' }, 400, 'invalid-parameters-format'],
    ['a private 192.168/16 address', 'app', { url: 'http://192.168.1.1/x' }, 400, 'invalid-parameters-format'],
    ['a CGNAT address', 'app', { url: 'http://100.64.0.1/x' }, 400, 'invalid-parameters-format'],
    ['cloud metadata', 'app', { url: 'http://169.254.169.254/latest/meta-data/' }, 400, 'invalid-parameters-format'],
    ['AWS IPv6 metadata', 'app', { url: 'http://[fd00:ec2::254]/' }, 400, 'invalid-parameters-format'],
    ['IPv6 loopback', 'app', { url: 'http://[::1]:9/x' }, 400, 'invalid-parameters-format'],
    ['IPv6 link-local', 'app', { url: 'http://[fe80::1]/x' }, 400, 'invalid-parameters-format'],
    ['IPv4-mapped loopback', 'app', { url: 'http://[::ffff:127.0.0.1]:9/x' }, 400, 'invalid-parameters-format'],
    ['an unlisted loopback address', 'app', { url: 'http://127.0.0.2:9/x' }, 400, 'invalid-parameters-format'],
    ['0.0.0.0', 'app', { url: 'http://0.0.0.0:9/x' }, 400, 'invalid-parameters-format'],
    ['a name resolving to loopback', 'app', { url: 'http://localhost:9/x' }, 400, 'invalid-parameters-format'],
  ])('refuses %s', async (_n, who, payload, status, id) => {
    const s = await setup();
    const res = await call(s.u, who === 'personal' ? s.u.token : s.app.token, 'POST', '/webhooks', payload);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error.id).toBe(id);
    expect(res.json().meta.serverTime).toBeTypeOf('number');
  });
});

describe('who sees and handles which webhook', () => {
  it('P lists every webhook, others only their own', async () => {
    const s = await setup();
    const a = await createHook(s, s.app.token);
    const b = await createHook(s, s.shared.token);
    const ids = async (token: string) => ((await call(s.u, token, 'GET', '/webhooks')).json().webhooks as { id: string }[]).map((w) => w.id);
    expect(await ids(s.u.token)).toEqual([a.id, b.id]);
    expect(await ids(s.app.token)).toEqual([a.id]);
    expect(await ids(s.shared.token)).toEqual([b.id]);
    expect(await ids(s.otherApp.token)).toEqual([]);
  });

  type Caller = 'personal' | 'creator' | 'other app' | 'shared';
  const ops: [string, Verb, (id: string) => string, object?][] = [
    ['getOne', 'GET', (id) => `/webhooks/${id}`],
    ['update', 'PUT', (id) => `/webhooks/${id}`, { state: 'inactive' }],
    ['test', 'POST', (id) => `/webhooks/${id}/test`],
    ['delete', 'DELETE', (id) => `/webhooks/${id}`],
  ];
  const cases = ops.flatMap(([op, verb, path, body]) =>
    (['personal', 'creator', 'other app', 'shared'] as Caller[]).map((who) => ({ op, verb, path, body, who, allowed: who === 'personal' || who === 'creator' })),
  );
  it.each(cases)('$op by $who → allowed: $allowed', async ({ verb, path, body, who, allowed }) => {
    const s = await setup();
    const hook = await createHook(s, s.app.token);
    const token = { personal: s.u.token, creator: s.app.token, 'other app': s.otherApp.token, shared: s.shared.token }[who];
    const res = await call(s.u, token, verb, path(hook.id), body);
    if (allowed) {
      expect(res.statusCode, res.body).toBe(200);
    } else {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.id).toBe('forbidden');
    }
  });

  it.each(ops)('%s of an unknown id → 404 unknown-resource', async (_op, verb, path, body) => {
    const s = await setup();
    const res = await call(s.u, s.u.token, verb, path('nosuchwebhook'), body);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.id).toBe('unknown-resource');
  });
});

describe('webhooks.update', () => {
  it('changes state and scopes only; active resets currentRetries', async () => {
    const s = await setup();
    const hook = await createHook(s, s.app.token);
    const { webhooks } = t.services.stores;
    await webhooks.recordRun(s.u.user.id, hook.id, { status: 500, timestamp: 1 }, false, 20);
    await webhooks.recordRun(s.u.user.id, hook.id, { status: 500, timestamp: 2 }, false, 20);
    const off = await call(s.u, s.app.token, 'PUT', `/webhooks/${hook.id}`, { state: 'inactive', scopes: { k: { kind: 'streams' } } });
    expect(off.statusCode).toBe(200);
    expect(off.json().webhook).toMatchObject({ state: 'inactive', currentRetries: 2, failCount: 2, scopes: { k: { kind: 'streams' } } });
    const on = await call(s.u, s.u.token, 'PUT', `/webhooks/${hook.id}`, { state: 'active', scopes: null });
    expect(on.json().webhook).toMatchObject({ state: 'active', currentRetries: 0, failCount: 2, modifiedBy: expect.any(String) });
    expect(on.json().webhook).not.toHaveProperty('scopes');
  });

  it.each<[string, object, number, string]>([
    ['the url', { url: 'http://127.0.0.1:1/other' }, 403, 'forbidden'],
    ['runCount', { runCount: 0 }, 403, 'forbidden'],
    ['currentRetries', { currentRetries: 0 }, 403, 'forbidden'],
    ['an unknown key', { color: 'red' }, 400, 'invalid-parameters-format'],
    ['a bad state', { state: 'paused' }, 400, 'invalid-parameters-format'],
  ])('refuses %s', async (_n, update, status, id) => {
    const s = await setup();
    const hook = await createHook(s, s.app.token);
    const res = await call(s.u, s.app.token, 'PUT', `/webhooks/${hook.id}`, update);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });
});

describe('webhooks.delete', () => {
  it('answers webhookDeletion and forgets the webhook', async () => {
    const s = await setup();
    const hook = await createHook(s, s.app.token);
    const res = await call(s.u, s.app.token, 'DELETE', `/webhooks/${hook.id}`);
    expect(res.json()).toMatchObject({ webhookDeletion: { id: hook.id, deleted: expect.any(Number) } });
    expect((await call(s.u, s.app.token, 'GET', `/webhooks/${hook.id}`)).statusCode).toBe(404);
  });
});

describe('webhooks.test', () => {
  it('posts a signed {messages: ["test"], meta} now and records no run', async () => {
    const s = await setup();
    const hook = await createHook(s, s.app.token, `${ok.url}?test`);
    const before = ok.calls.length;
    const res = await call(s.u, s.app.token, 'POST', `/webhooks/${hook.id}/test`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().webhook).toMatchObject({ id: hook.id, runCount: 0, runs: [] });
    const got = ok.calls.slice(before).find((c) => c.headers['homecore-webhook-id'] === hook.id);
    expect(got?.messages).toEqual(['test']);
    expect(got?.meta).toEqual({ apiVersion: expect.any(String), serverTime: expect.any(Number), serial: t.config.service.serial });
    expect(got?.headers['content-type']).toBe('application/json');
    expect(signatureIsValid(hook.secret, got?.headers['homecore-signature'], got?.body ?? '')).toBe(true);
    expect(signatureIsValid('whsec_wrong', got?.headers['homecore-signature'], got?.body ?? '')).toBe(false);
  });

  it.each<[string, () => string]>([
    ['a non-2xx answer', () => failing.url],
    ['an unreachable url', () => 'http://127.0.0.1:1/closed'],
  ])('answers 400 unknown-referenced-resource on %s', async (_n, url) => {
    const s = await setup();
    const hook = await createHook(s, s.app.token, url());
    const res = await call(s.u, s.app.token, 'POST', `/webhooks/${hook.id}/test`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ id: 'unknown-referenced-resource', data: { url: url() } });
  });
});

describe('runs and batch calls', () => {
  it('keeps runs newest first, at most runsSize', async () => {
    const s = await setup();
    const hook = await createHook(s, s.app.token);
    for (let i = 1; i <= 5; i++) await t.services.stores.webhooks.recordRun(s.u.user.id, hook.id, { status: 200 + i, timestamp: i }, true, 3);
    const { webhook } = (await call(s.u, s.app.token, 'GET', `/webhooks/${hook.id}`)).json();
    expect(webhook.runs).toEqual([{ status: 205, timestamp: 5 }, { status: 204, timestamp: 4 }, { status: 203, timestamp: 3 }]);
    expect(webhook).toMatchObject({ runCount: 5, lastRun: { status: 205, timestamp: 5 } });
  });

  it('serves webhooks.* in batch calls', async () => {
    const s = await setup();
    const res = await t.app.inject({
      method: 'POST',
      url: `/${s.u.username}/`,
      headers: { authorization: s.app.token },
      payload: [{ method: 'webhooks.create', params: { url: `${ok.url}?batch` } }, { method: 'webhooks.get', params: {} }],
    });
    const [created, listed] = res.json().results;
    expect(created.webhook.url).toBe(`${ok.url}?batch`);
    expect(listed.webhooks.map((w: { id: string }) => w.id)).toEqual([created.webhook.id]);
  });
});
