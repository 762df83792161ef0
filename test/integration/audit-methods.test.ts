import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLine } from '../../src/audit/audit-line.js';
import { readAuditLines } from '../../src/audit/audit-reader.js';
import { auditDirOf } from '../../src/audit/audit-dir.js';
import { buildRegistry } from '../../src/api/modules.js';
import { Readiness } from '../../src/health/readiness.js';
import { buildPreviewsApp } from '../../src/http/role-apps.js';
import { totpCode } from '../../src/mfa/totp.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

/**
 * Audit lines of the method families audit-trail.test.ts does not drive (issue #12: "audit lines
 * for every method family"): mfa.*, webhooks.*, attachments (upload, download, delete), previews on
 * the previews worker, accesses, account, auth, profile, shared secrets, series batches, the admin
 * MFA route; and a last check that every method of the registry left a line.
 */

let t: ApiTestApp;
let previews: FastifyInstance;
let hooks: Receiver;
const UA = 'audit-methods/1.0';
const ORIGIN = 'http://127.0.0.1:3000';
const ADMIN = 'test-admin-key-0123456789';

beforeAll(async () => {
  hooks = await startReceiver(() => 200);
  t = await createApiTestApp({ HOMECORE_MFA__ENABLED: 'true', HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' });
  const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });
  previews = await buildPreviewsApp(t.services, readiness);
});
afterAll(async () => {
  await previews?.close();
  await t?.close();
  await hooks?.close();
});

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function call(u: TestUser, token: string | null, method: Verb, path: string, payload?: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { 'user-agent': UA, origin: ORIGIN, ...headers };
  if (token !== null) h['authorization'] = token;
  const res = await t.app.inject({ method, url: `/${u.username}${path}`, headers: h, ...(payload === undefined ? {} : { payload: payload as object }) });
  const json = (res.headers['content-type'] ?? '').toString().startsWith('application/json');
  return { status: res.statusCode, body: (json ? res.json() : {}) as Record<string, unknown> & { error?: { id: string } }, raw: res };
}

/** The lines of `u` (read lines are buffered: flushed first), optionally of some methods only. */
async function lines(u: TestUser, methods?: string[]): Promise<AuditLine[]> {
  await t.services.audit?.flushAll();
  const out: AuditLine[] = [];
  const filter = { user: u.username, from: 0, to: Date.now() / 1000 + 1, ...(methods === undefined ? {} : { methods }) };
  for await (const l of readAuditLines(auditDirOf(t.config), filter)) out.push(l);
  return out;
}
const summary = (ls: AuditLine[]) => ls.map((l) => [l.method, l.status, l.error]);

function multipart(data: Buffer, event: Record<string, unknown>): { payload: Buffer; headers: Record<string, string> } {
  const b = `----hc${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${b}\r\nContent-Disposition: form-data; name="event"\r\n\r\n${JSON.stringify(event)}\r\n--${b}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

/** Every user of this file, for the registry-wide check at the end. */
const users: TestUser[] = [];
async function newUser(): Promise<TestUser> {
  const u = await t.createUser();
  users.push(u);
  return u;
}

describe('audit lines per method family', () => {
  it('mfa.*: activation, login steps, deactivation and recovery; no code or token in the trail', async () => {
    const u = await newUser();
    const act = await call(u, u.token, 'POST', '/mfa/activate', { method: 'totp' });
    expect(act.status).toBe(200);
    const { mfaToken, secret } = act.body as { mfaToken: string; secret: string };
    const confirmCode = totpCode(t.config, secret);
    const conf = await call(u, mfaToken, 'POST', '/mfa/confirm', { code: confirmCode });
    expect(conf.status).toBe(200);
    const recoveryCodes = conf.body['recoveryCodes'] as string[];
    const login = async () => (await call(u, null, 'POST', '/auth/login', { username: u.username, password: u.password, appId: 'audit-mfa' })).body['mfaToken'] as string;
    const loginToken = await login();
    expect((await call(u, loginToken, 'POST', '/mfa/challenge', {})).status).toBe(200);
    const verify = await call(u, loginToken, 'POST', '/mfa/verify', { code: totpCode(t.config, secret, Date.now() + 30_000) });
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect((await call(u, verify.body['token'] as string, 'POST', '/mfa/deactivate', {})).status).toBe(200);
    // Again, then turned off with a recovery code.
    const again = await call(u, u.token, 'POST', '/mfa/activate', { method: 'totp' });
    const again2 = await call(u, again.body['mfaToken'] as string, 'POST', '/mfa/confirm', { code: totpCode(t.config, again.body['secret'] as string, Date.now() + 30_000) });
    expect(again2.status).toBe(200);
    const codes = again2.body['recoveryCodes'] as string[];
    const recover = await call(u, null, 'POST', '/mfa/recover', { username: u.username, password: u.password, appId: 'audit-mfa', recoveryCode: codes[0] });
    expect(recover.status).toBe(200);
    const wrong = await call(u, null, 'POST', '/mfa/verify', { code: '000000' }, { authorization: 'not-an-mfa-token' });
    expect(wrong.status).toBe(403);

    const got = await lines(u, ['mfa.activate', 'mfa.confirm', 'mfa.challenge', 'mfa.verify', 'mfa.deactivate', 'mfa.recover']);
    expect(summary(got)).toEqual([
      ['mfa.activate', 200, null], ['mfa.confirm', 200, null], ['mfa.challenge', 200, null], ['mfa.verify', 200, null],
      ['mfa.deactivate', 200, null], ['mfa.activate', 200, null], ['mfa.confirm', 200, null], ['mfa.recover', 200, null],
      ['mfa.verify', 403, 'forbidden'],
    ]);
    expect(got.every((l) => l.userAgent === UA && l.ip === '127.0.0.1' && l.transport === 'http')).toBe(true);
    const text = JSON.stringify(got);
    for (const hidden of [secret, confirmCode, mfaToken, loginToken, u.password, recoveryCodes[0] ?? '?', codes[0] ?? '?']) expect(text).not.toContain(hidden);
  });

  it('webhooks.*: create, get, getOne, update, test, delete, each with the webhook id', async () => {
    const u = await newUser();
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }] });
    const created = await call(u, app.token, 'POST', '/webhooks', { url: `${hooks.url}?audit` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const hook = created.body['webhook'] as { id: string; secret: string };
    for (const [verb, path, body] of [
      ['GET', '/webhooks'], ['GET', `/webhooks/${hook.id}`], ['PUT', `/webhooks/${hook.id}`, { state: 'inactive' }],
      ['POST', `/webhooks/${hook.id}/test`, {}], ['DELETE', `/webhooks/${hook.id}`],
    ] as [Verb, string, unknown?][]) {
      const r = await call(u, app.token, verb, path, body);
      expect(r.status, `${verb} ${path} ${JSON.stringify(r.body)}`).toBeLessThan(300);
    }
    const got = await lines(u, ['webhooks.create', 'webhooks.get', 'webhooks.getOne', 'webhooks.update', 'webhooks.test', 'webhooks.delete']);
    expect(summary(got)).toEqual([
      ['webhooks.create', 201, null], ['webhooks.get', 200, null], ['webhooks.getOne', 200, null],
      ['webhooks.update', 200, null], ['webhooks.test', 200, null], ['webhooks.delete', 200, null],
    ]);
    expect(got.filter((l) => l.method !== 'webhooks.get').every((l) => l.resources.includes(hook.id) && l.accessId === app.id)).toBe(true);
    expect(JSON.stringify(got)).not.toContain(hook.secret);
    expect(JSON.stringify(got)).not.toContain(hooks.url);
  });

  it('attachments: upload (events.create), download (events.getAttachment), delete; previews on the previews worker', async () => {
    const u = await newUser();
    await call(u, u.token, 'POST', '/streams', { id: 'pics', name: 'Pics' });
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
    const body = multipart(jpeg, { streamIds: ['pics'], type: 'picture/attached' });
    const up = await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: { ...body.headers, authorization: u.token, 'user-agent': UA }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const event = up.json().event as { id: string; attachments: { id: string; fileName: string }[] };
    const fileId = event.attachments[0]?.id ?? '';
    const down = await call(u, u.token, 'GET', `/events/${event.id}/${fileId}`);
    expect(down.raw.rawPayload.equals(jpeg)).toBe(true);
    expect((await call(u, u.token, 'GET', `/events/${event.id}/${fileId}/p.jpg`)).status).toBe(200);
    expect((await call(u, u.token, 'GET', `/events/${event.id}/no-such-file`)).status).toBe(404);
    const pv = await previews.inject({ method: 'GET', url: `/${u.username}/events/${event.id}?w=64`, headers: { authorization: u.token, 'user-agent': UA } });
    expect(pv.statusCode).toBe(200);
    const pvNone = await previews.inject({ method: 'GET', url: `/${u.username}/events/${event.id}.jpg`, headers: { 'user-agent': UA } });
    expect(pvNone.statusCode).toBe(401);
    expect((await call(u, u.token, 'DELETE', `/events/${event.id}/${fileId}`)).status).toBe(200);

    const got = await lines(u, ['events.create', 'events.getAttachment', 'events.getPreview', 'events.deleteAttachment']);
    expect(summary(got)).toEqual([
      ['events.create', 201, null], ['events.getAttachment', 200, null], ['events.getAttachment', 200, null],
      ['events.getAttachment', 404, 'unknown-resource'], ['events.getPreview', 200, null], ['events.deleteAttachment', 200, null],
    ]);
    for (const l of got) expect(l.resources, l.method).toContain(event.id);
    expect(got.filter((l) => l.method === 'events.getAttachment' && l.status === 200).every((l) => l.resources.includes(fileId))).toBe(true);
    expect(got.find((l) => l.method === 'events.getPreview')).toMatchObject({ userAgent: UA, ip: '127.0.0.1', transport: 'http', accessId: expect.any(String) });
  });

  it('accesses, auth, account, profile, streams.delete, shared secrets, series batches', async () => {
    const u = await newUser();
    await call(u, u.token, 'POST', '/streams', { id: 'box', name: 'Box' });
    const series = (await call(u, u.token, 'POST', '/events', { streamIds: ['box'], type: 'series:mass/kg' })).body['event'] as { id: string };
    const created = await call(u, u.token, 'POST', '/accesses', { name: 'app-a', type: 'app', permissions: [{ streamId: 'box', level: 'read' }] });
    const access = created.body['access'] as { id: string; token: string };
    const secret = await call(u, u.token, 'POST', '/shared-secrets', { ttl: 60, title: 't', onConsumed: { message: 'gone' }, secret: { id: 'inner-content-id' } });
    expect(secret.status, JSON.stringify(secret.body)).toBe(201);
    const key = (secret.body['sharedSecret'] as { key: string }).key;
    const steps: [Verb, string, unknown?, string?][] = [
      ['GET', '/streams'],
      ['PUT', '/streams/box', { name: 'Box 2' }],
      ['GET', '/events?streams[]=box'],
      ['GET', `/events/${series.id}`],
      ['PUT', `/events/${series.id}`, { description: 'd' }],
      ['POST', `/events/${series.id}/series`, { format: 'flatJSON', fields: ['deltaTime', 'value'], points: [[0, 1]] }],
      ['GET', `/events/${series.id}/series`],
      ['GET', '/account'],
      ['PUT', '/account', { language: 'fr' }],
      ['GET', '/profile/private'],
      ['PUT', '/profile/private', { phone: '+41' }],
      ['GET', '/accesses'],
      ['GET', `/accesses/${access.id}`],
      ['PUT', `/accesses/${access.id}`, { name: 'app-b' }],
      ['POST', '/accesses/check-app', { requestingAppId: 'app-c', requestedPermissions: [{ streamId: 'box', level: 'read', defaultName: 'Box' }] }],
      ['GET', '/access-info'],
      ['GET', '/profile/app', undefined, access.token],
      ['PUT', '/profile/app', { color: 'red' }, access.token],
      ['GET', '/profile/public', undefined, 'none'],
      ['PUT', '/profile/public', { name: 'U' }],
      ['POST', '/shared-secrets/status', { key }],
      ['POST', '/shared-secrets/retrieve', { key }, 'none'],
      ['POST', '/series/batch', { format: 'seriesBatch', data: [{ eventId: series.id, data: { format: 'flatJSON', fields: ['deltaTime', 'value'], points: [[0, 1]] } }] }],
      ['POST', '/account/change-password', { oldPassword: u.password, newPassword: `${u.password}-2` }],
      ['POST', '/account/request-password-reset', { appId: 'audit-app' }, 'none'],
      ['POST', '/account/reset-password', { appId: 'audit-app', resetToken: 'bad-reset-token', newPassword: 'x'.repeat(12) }, 'none'],
      ['POST', '/account/verify-email', { token: 'bad-email-token' }, 'none'],
      ['DELETE', `/accesses/${access.id}`],
      ['DELETE', `/events/${series.id}`],
      ['DELETE', '/streams/box'],
      ['POST', '/auth/logout', {}],
    ];
    for (const [verb, path, body, who] of steps) {
      const token = who === 'none' ? null : (who ?? u.token);
      const r = await call(u, token, verb, path, body);
      expect(r.status, `${verb} ${path} ${JSON.stringify(r.body)}`).toBeLessThan(500);
    }
    const got = await lines(u);
    const methods = new Set(got.map((l) => l.method));
    for (const m of [
      'accesses.getOne', 'accesses.update', 'accesses.checkApp', 'accesses.delete', 'getAccessInfo', 'profile.getApp', 'profile.updateApp',
      'profile.getPublic', 'profile.updatePublic', 'sharedSecrets.create', 'sharedSecrets.getOne', 'sharedSecrets.retrieve', 'series.batch',
      'account.changePassword', 'account.requestPasswordReset', 'account.resetPassword', 'account.verifyEmail', 'streams.delete', 'auth.logout',
    ]) expect(methods, m).toContain(m);
    expect(got.find((l) => l.method === 'accesses.update')?.resources).toContain(access.id);
    expect(got.find((l) => l.method === 'series.batch')).toMatchObject({ status: 200, error: null, resources: [series.id] });
    // Public calls: no access; their content never reaches the trail.
    expect(got.find((l) => l.method === 'sharedSecrets.retrieve')).toMatchObject({ accessId: null, status: 200 });
    const text = JSON.stringify(got);
    for (const hidden of [key, 'inner-content-id', access.token, u.password, 'bad-reset-token', 'bad-email-token']) expect(text).not.toContain(hidden);
  });

  it('DELETE /system/users/{username}/mfa (admin) is recorded as system.deactivateMfa, on disk when it answers', async () => {
    const u = await newUser();
    const act = await call(u, u.token, 'POST', '/mfa/activate', { method: 'totp' });
    const conf = await call(u, act.body['mfaToken'] as string, 'POST', '/mfa/confirm', { code: totpCode(t.config, act.body['secret'] as string) });
    expect(conf.status).toBe(200);
    const r = await t.app.inject({ method: 'DELETE', url: `/system/users/${u.username}/mfa`, headers: { authorization: ADMIN, 'user-agent': UA } });
    expect(r.statusCode).toBe(204);
    const onDisk: AuditLine[] = [];
    for await (const l of readAuditLines(auditDirOf(t.config), { user: u.username, from: 0, to: Date.now() / 1000 + 1, methods: ['system.deactivateMfa'] })) onDisk.push(l);
    expect(onDisk.map((l) => [l.method, l.status, l.accessId, l.userAgent])).toEqual([['system.deactivateMfa', 204, null, UA]]);
  });

  it('every method of the registry, and every route outside it, left at least one line', async () => {
    const seen = new Set<string>();
    for (const u of users) for (const l of await lines(u)) seen.add(l.method);
    const outside = ['events.getAttachment', 'events.getPreview', 'series.add', 'series.get', 'series.batch', 'system.deactivateMfa'];
    expect([...buildRegistry().registry.ids(), ...outside].filter((m) => !seen.has(m))).toEqual([]);
  });
});
