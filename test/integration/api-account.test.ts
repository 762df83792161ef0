import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import type { Mailer, MailRequest } from '../../src/mail/mailer.js';

let t: ApiTestApp;
/** Reset mails "sent" by the capturing mailer, newest last. */
const mails: MailRequest[] = [];
const capturing: Mailer = { send: (m) => void mails.push(m), idle: async () => undefined, close: async () => undefined };
beforeAll(async () => {
  t = await createApiTestApp();
  t.services.mailer = capturing;
});
afterAll(async () => {
  await t?.close();
});

const ORIGIN = 'http://127.0.0.1:3000';
type Payload = Record<string, unknown>;

const call = (u: TestUser, method: 'GET' | 'PUT' | 'POST', path: string, payload?: Payload, token = u.token) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });
const publicCall = (u: TestUser, path: string, payload: Payload, origin = ORIGIN) =>
  t.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: { origin }, payload });
const login = (u: TestUser, password: string) =>
  publicCall(u, '/auth/login', { username: u.username, password, appId: 'login-check-app' });
const appToken = async (u: TestUser): Promise<string> => (await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }] })).token;

/** Asks for a reset and returns the token the mailer received. */
async function requestReset(u: TestUser): Promise<string> {
  const res = await publicCall(u, '/account/request-password-reset', { appId: 'reset-app-id', username: u.username });
  expect(res.statusCode).toBe(200);
  const mail = mails.at(-1);
  expect(mail).toMatchObject({ kind: 'reset-password', to: u.user.email, vars: { username: u.username, appId: 'reset-app-id' } });
  return mail?.vars['resetToken'] ?? '';
}

describe('account.get', () => {
  it('returns the account with both storageUsed numbers for a personal token', async () => {
    const u = await t.createUser();
    const res = await call(u, 'GET', '/account');
    expect(res.statusCode).toBe(200);
    const { account, meta } = res.json();
    expect(account).toEqual({ username: u.username, email: u.user.email, language: 'en', storageUsed: { dbDocuments: expect.any(Number), attachedFiles: 0 } });
    expect(account.storageUsed.dbDocuments).toBeGreaterThan(0);
    expect(meta.serverTime).toBeTypeOf('number');
  });

  it.each([
    ['no token', null, 401, 'invalid-access-token'],
    ['an app token', 'app', 403, 'forbidden'],
  ])('refuses %s', async (_n, kind, status, id) => {
    const u = await t.createUser();
    const headers = kind === 'app' ? { authorization: await appToken(u) } : {};
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/account`, headers });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });

  it('is refused in a batch (issue #16: no account method in batches)', async () => {
    const u = await t.createUser();
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: u.token }, payload: [{ method: 'account.get', params: {} }] });
    expect(res.json().results[0].error).toMatchObject({ id: 'forbidden', data: { method: 'account.get', reason: 'not-in-batch' } });
  });
});

describe('account.update', () => {
  it('changes email and language, moving the platform-wide email reservation', async () => {
    const u = await t.createUser();
    const email = `${randomUsername('new')}@example.test`;
    const res = await call(u, 'PUT', '/account', { email, language: 'fr' });
    expect(res.statusCode).toBe(200);
    expect(res.json().account).toMatchObject({ username: u.username, email, language: 'fr' });
    expect((await call(u, 'GET', '/account')).json().account).toMatchObject({ email, language: 'fr' });
    expect((await t.app.inject({ method: 'GET', url: `/reg/${email}/check_email` })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'GET', url: `/reg/${u.user.email}/check_email` })).json()).toMatchObject({ reserved: false });
    expect((await t.app.inject({ method: 'GET', url: `/reg/${email}/uid` })).json()).toMatchObject({ uid: u.username });
  });

  it('is refused in a batch, changing nothing (issue #16)', async () => {
    const u = await t.createUser();
    const res = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/`,
      headers: { authorization: u.token },
      payload: [{ method: 'account.update', params: { update: { language: 'de' } } }],
    });
    expect(res.json().results[0].error).toMatchObject({ id: 'forbidden', data: { method: 'account.update', reason: 'not-in-batch' } });
    expect((await t.services.stores.users.getByUsername(u.username))?.language).toBe('en');
  });

  it.each([
    ['an email taken by another user', 'taken', 409, 'item-already-exists', null],
    ['a malformed email', { email: 'not-an-email' }, 400, 'invalid-parameters-format', 'email-invalid'],
    ['a too long language', { language: 'toolong' }, 400, 'invalid-parameters-format', 'language-invalid'],
    ['an unknown field', { username: 'other' }, 400, 'invalid-parameters-format', 'additionalProperties'],
  ])('refuses %s', async (_n, change, status, id, code) => {
    const u = await t.createUser();
    const payload = change === 'taken' ? { email: (await t.createUser()).user.email } : change;
    const res = await call(u, 'PUT', '/account', payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
    if (code !== null) expect(res.json().error.data.map((d: { code: string }) => d.code)).toContain(code);
    // Nothing changed, locally or platform-wide.
    expect((await call(u, 'GET', '/account')).json().account.email).toBe(u.user.email);
    expect((await t.app.inject({ method: 'GET', url: `/reg/${u.user.email}/uid` })).json()).toMatchObject({ uid: u.username });
  });
});

describe('account.changePassword', () => {
  it('changes the password and keeps the session', async () => {
    const u = await t.createUser();
    const res = await call(u, 'POST', '/account/change-password', { oldPassword: u.password, newPassword: 'brand-new-pass' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ meta: expect.any(Object) });
    expect((await login(u, 'brand-new-pass')).statusCode).toBe(200);
    expect((await login(u, u.password)).statusCode).toBe(401);
    expect((await call(u, 'GET', '/account')).statusCode).toBe(200);
  });

  it.each([
    ['a wrong old password', { oldPassword: 'not-the-password', newPassword: 'brand-new-pass' }, 'invalid-operation', null],
    ['a too short new password', { newPassword: 'abc' }, 'invalid-parameters-format', 'password-invalid'],
    ['a too long new password', { newPassword: 'x'.repeat(101) }, 'invalid-parameters-format', 'password-invalid'],
    ['no new password', { newPassword: undefined }, 'invalid-parameters-format', 'newPassword-required'],
    ['no old password', { oldPassword: undefined, newPassword: 'brand-new-pass' }, 'invalid-parameters-format', 'missing-required-field'],
  ])('refuses %s with 400 and keeps the old password', async (_n, patch, id, code) => {
    const u = await t.createUser();
    const res = await call(u, 'POST', '/account/change-password', { oldPassword: u.password, ...patch });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe(id);
    if (code !== null) expect(res.json().error.data[0].code).toBe(code);
    expect((await login(u, u.password)).statusCode).toBe(200);
  });
});

describe('password reset', () => {
  it('mails a token that resets the password once and ends the login sessions', async () => {
    const u = await t.createUser();
    const app = await appToken(u);
    const token = await requestReset(u);
    expect(token.length).toBeGreaterThanOrEqual(40);
    const reset = () => publicCall(u, '/account/reset-password', { resetToken: token, newPassword: 'reset-new-pass', appId: 'reset-app-id' });
    const res = await reset();
    expect(res.statusCode).toBe(200);
    expect((await login(u, 'reset-new-pass')).statusCode).toBe(200);
    expect((await login(u, u.password)).statusCode).toBe(401);
    // Personal sessions are gone; app accesses stay.
    expect((await call(u, 'GET', '/access-info')).statusCode).toBe(403);
    expect((await call(u, 'GET', '/access-info', undefined, app)).statusCode).toBe(200);
    const again = await reset();
    expect(again.statusCode).toBe(401);
    expect(again.json().error.id).toBe('invalid-access-token');
  });

  it('stores only a MAC of the token, never the token itself', async () => {
    const u = await t.createUser();
    const token = await requestReset(u);
    // Every row or document of the database as text, whatever the engine.
    const stored = await t.storedText();
    expect(stored).toContain(u.user.id);
    expect(stored).not.toContain(token);
  });

  it('refuses an expired token', async () => {
    const u = await t.createUser();
    const token = await requestReset(u);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + (t.config.auth.passwordResetTtlSeconds + 60) * 1000);
      const res = await publicCall(u, '/account/reset-password', { resetToken: token, newPassword: 'reset-new-pass', appId: 'reset-app-id' });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.id).toBe('invalid-access-token');
    } finally {
      vi.useRealTimers();
    }
    expect((await login(u, u.password)).statusCode).toBe(200);
    // Refused for its age only: the same token still works before expiry.
    const res = await publicCall(u, '/account/reset-password', { resetToken: token, newPassword: 'reset-new-pass', appId: 'reset-app-id' });
    expect(res.statusCode).toBe(200);
  });

  it('retires the previous token when a new one is requested', async () => {
    const u = await t.createUser();
    const first = await requestReset(u);
    const second = await requestReset(u);
    const body = (resetToken: string) => ({ resetToken, newPassword: 'reset-new-pass', appId: 'reset-app-id' });
    expect((await publicCall(u, '/account/reset-password', body(first))).statusCode).toBe(401);
    expect((await publicCall(u, '/account/reset-password', body(second))).statusCode).toBe(200);
  });

  it("does not burn a token sent to another user's endpoint, nor on a refused new password", async () => {
    const u = await t.createUser();
    const other = await t.createUser();
    const token = await requestReset(u);
    const body = { resetToken: token, newPassword: 'reset-new-pass', appId: 'reset-app-id' };
    expect((await publicCall(other, '/account/reset-password', body)).statusCode).toBe(401);
    const short = await publicCall(u, '/account/reset-password', { ...body, newPassword: 'abc' });
    expect(short.json().error).toMatchObject({ id: 'invalid-parameters-format', data: [{ code: 'password-invalid' }] });
    expect((await publicCall(u, '/account/reset-password', body)).statusCode).toBe(200);
  });

  it.each([
    ['an untrusted origin', '/account/request-password-reset', { appId: 'reset-app-id' }, 'https://evil.example', 401, 'invalid-credentials'],
    ['another username', '/account/request-password-reset', { appId: 'reset-app-id', username: 'someone-else' }, ORIGIN, 400, 'invalid-operation'],
    ['no appId', '/account/request-password-reset', {}, ORIGIN, 400, 'invalid-parameters-format'],
    ['a reset from an untrusted origin', '/account/reset-password', { resetToken: 'x', newPassword: 'reset-new-pass', appId: 'a' }, 'https://evil.example', 401, 'invalid-credentials'],
    ['an unknown reset token', '/account/reset-password', { resetToken: 'nope', newPassword: 'reset-new-pass', appId: 'reset-app-id' }, ORIGIN, 401, 'invalid-access-token'],
    ['no reset token', '/account/reset-password', { newPassword: 'reset-new-pass', appId: 'reset-app-id' }, ORIGIN, 400, 'invalid-parameters-format'],
  ])('refuses %s', async (_n, path, payload, origin, status, id) => {
    const u = await t.createUser();
    const before = mails.length;
    const res = await publicCall(u, path, payload, origin);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
    expect(res.json().meta.serverTime).toBeTypeOf('number');
    expect(mails.length).toBe(before);
  });

  it('answers 200 without sending anything when no mailer is configured', async () => {
    const plain = await createApiTestApp();
    try {
      const u = await plain.createUser();
      const res = await plain.app.inject({
        method: 'POST',
        url: `/${u.username}/account/request-password-reset`,
        headers: { origin: ORIGIN },
        payload: { appId: 'reset-app-id', username: u.username },
      });
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json())).toEqual(['meta']);
    } finally {
      await plain.close();
    }
  });
});
