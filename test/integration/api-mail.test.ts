import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { createLogger } from '../../src/logging/logger.js';
import { SmtpMailer } from '../../src/mail/smtp-mailer.js';

/**
 * Mail through a real SMTP server on loopback (smtp-server), started here: what arrives, with its
 * headers and reset link, and that the link resets the password (docs/api.md#mail).
 */
const SMTP_AUTH = { user: 'homecore-test', password: 'smtp-secret-for-tests' };
const ORIGIN = 'http://127.0.0.1:3000';
const RESET_PAGE = 'https://auth.example.test/reset-password.html';
const ADMIN = { authorization: 'test-admin-key-0123456789' };

let sink: SmtpSink;
let t: ApiTestApp;
beforeAll(async () => {
  sink = await startSmtpSink(SMTP_AUTH);
  t = await createApiTestApp({
    HOMECORE_MAIL__ENABLED: 'true',
    HOMECORE_MAIL__FROM__NAME: 'Homecore Test',
    HOMECORE_MAIL__FROM__ADDRESS: 'no-reply@homecore.example.test',
    HOMECORE_MAIL__SMTP__HOST: '127.0.0.1',
    HOMECORE_MAIL__SMTP__PORT: String(sink.port),
    HOMECORE_MAIL__SMTP__AUTH: JSON.stringify(SMTP_AUTH),
    HOMECORE_MAIL__SMTP__TIMEOUT_MS: '5000',
    HOMECORE_MAIL__RETRY__ATTEMPTS: '3',
    HOMECORE_MAIL__RETRY__DELAY_MS: '50',
    HOMECORE_MAIL__RESET_PASSWORD_URL: RESET_PAGE,
    HOMECORE_SERVICE__NAME: 'Homecore Test Lab',
  });
});
afterAll(async () => {
  await t?.close();
  await sink?.close();
});

const publicCall = (u: TestUser, path: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: { origin: ORIGIN }, payload });

/** The mails of `kind` received for `to`, once there are `count` of them. */
async function mailsFor(to: string, kind: string, count = 1): Promise<ReceivedMail[]> {
  const pick = (): ReceivedMail[] => sink.mails.filter((m) => m.to.includes(to) && m.parsed.headers.get('x-homecore-mail') === kind);
  const until = Date.now() + 20_000;
  while (pick().length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await t.services.mailer.idle();
  expect(pick()).toHaveLength(count);
  return pick();
}

const errorOfRes = (res: { statusCode: number; json(): { error?: { id: string } } }) => [res.statusCode, res.json().error?.id];

const resetLinkIn = (text: string): URL => {
  const found = /https:\/\/auth\.example\.test\/reset-password\.html\?\S+/.exec(text);
  expect(found).not.toBeNull();
  return new URL(found?.[0] ?? '');
};

describe('password-reset mail', () => {
  it('arrives over SMTP with its headers and a reset link that account.resetPassword accepts', async () => {
    const u = await t.createUser();
    const res = await publicCall(u, '/account/request-password-reset', { appId: 'reset-app-id', username: u.username });
    expect(res.statusCode).toBe(200);
    const [mail] = await mailsFor(u.user.email, 'reset-password');
    if (mail === undefined) throw new Error('no mail');
    expect(mail.from).toBe('no-reply@homecore.example.test');
    expect(mail.to).toEqual([u.user.email]);
    expect(mail.authUser).toBe(SMTP_AUTH.user);
    const p = mail.parsed;
    expect(p.from?.value).toEqual([{ name: 'Homecore Test', address: 'no-reply@homecore.example.test' }]);
    expect(p.headers.get('to')).toMatchObject({ value: [{ address: u.user.email }] });
    expect(p.subject).toBe('Homecore Test Lab: reset your password');
    expect(p.headers.get('content-language')).toBe('en');
    expect(p.messageId).toMatch(/^<.+@.+>$/);
    expect(p.text).toContain(`Hello ${u.username},`);
    const link = resetLinkIn(p.text ?? '');
    expect(link.searchParams.get('username')).toBe(u.username);
    expect(link.searchParams.get('appId')).toBe('reset-app-id');
    const resetToken = link.searchParams.get('resetToken') ?? '';
    expect(resetToken).toMatch(/^[\w-]{40,}$/);
    // The HTML part carries the same link, escaped for HTML.
    expect(p.html).toContain(`href="${link.href.replaceAll('&', '&#38;')}"`);

    const reset = await publicCall(u, '/account/reset-password', { resetToken, newPassword: 'mailed-new-pass', appId: 'reset-app-id' });
    expect(reset.statusCode).toBe(200);
    const login = await publicCall(u, '/auth/login', { username: u.username, password: 'mailed-new-pass', appId: 'reset-app-id' });
    expect(login.statusCode).toBe(200);
    // Single use: the same link does not work twice.
    const again = await publicCall(u, '/account/reset-password', { resetToken, newPassword: 'other-new-pass', appId: 'reset-app-id' });
    expect([again.statusCode, again.json().error.id]).toEqual([401, 'invalid-access-token']);
  });

  it("is written in the user's language when a template exists for it", async () => {
    const u = await t.createUser();
    const upd = await t.app.inject({ method: 'PUT', url: `/${u.username}/account`, headers: { authorization: u.token }, payload: { language: 'fr' } });
    expect(upd.statusCode).toBe(200);
    await publicCall(u, '/account/request-password-reset', { appId: 'reset-app-id' });
    const [mail] = await mailsFor(u.user.email, 'reset-password');
    expect(mail?.parsed.subject).toBe('Homecore Test Lab : réinitialiser votre mot de passe');
    expect(mail?.parsed.headers.get('content-language')).toBe('fr');
    expect(mail?.parsed.text).toContain(`Bonjour ${u.username},`);
  });

  it('a temporary SMTP failure is retried (the request answered 200 at once)', async () => {
    const u = await t.createUser();
    await mailsFor(u.user.email, 'welcome');
    const refusedBefore = sink.refused;
    sink.failNext(2);
    const res = await publicCall(u, '/account/request-password-reset', { appId: 'reset-app-id' });
    expect(res.statusCode).toBe(200);
    const [mail] = await mailsFor(u.user.email, 'reset-password');
    expect(sink.refused - refusedBefore).toBe(2);
    const resetToken = resetLinkIn(mail?.parsed.text ?? '').searchParams.get('resetToken');
    expect((await publicCall(u, '/account/reset-password', { resetToken, newPassword: 'retried-new-pass', appId: 'reset-app-id' })).statusCode).toBe(200);
  });

  it('gives up after mail.retry.attempts and never fails the request', async () => {
    const u = await t.createUser();
    await mailsFor(u.user.email, 'welcome');
    const refusedBefore = sink.refused;
    sink.failNext(3);
    const res = await publicCall(u, '/account/request-password-reset', { appId: 'reset-app-id' });
    expect(res.statusCode).toBe(200);
    await t.services.mailer.idle();
    expect(sink.refused - refusedBefore).toBe(3);
    sink.failNext(0);
    await mailsFor(u.user.email, 'reset-password', 0);
  });
});

describe('mail logs', () => {
  it('say what happened (sent, retried, given up) and never hold the token, the link or the SMTP password', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', role: 'test', destination: { write: (line: string) => void lines.push(line) } });
    const mailer = new SmtpMailer(t.config, logger, t.services.stores.mailTemplates);
    const resetToken = 'secret-reset-token-that-must-not-be-logged';
    const mail = { kind: 'reset-password' as const, to: 'logs@example.test', language: 'en', vars: { username: 'logs', resetToken, resetUrl: `${RESET_PAGE}?resetToken=${resetToken}` } };
    sink.failNext(1);
    mailer.send(mail);
    await mailer.idle();
    sink.failNext(3);
    mailer.send(mail);
    await mailer.idle();
    sink.failNext(0);
    await mailer.close();
    const all = lines.join('');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['mail not sent: will retry', 'mail sent', 'mail not sent: will retry', 'mail not sent: will retry', 'mail not sent: giving up']);
    expect(JSON.parse(lines[4] ?? '{}')).toMatchObject({ kind: 'reset-password', attempt: 3, responseCode: 451 });
    for (const secret of [resetToken, SMTP_AUTH.password, 'Try again later']) expect(all).not.toContain(secret);
  });
});

describe('welcome mail', () => {
  it('is sent at registration (POST /users) with the account endpoint', async () => {
    const username = `welc${Date.now().toString(36)}`;
    const email = `${username}@example.test`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/users',
      headers: { origin: ORIGIN },
      payload: { username, password: 'welcome-pass', email, appId: 'welcome-app', hosting: t.config.registration.hosting, languageCode: 'en' },
    });
    expect(res.statusCode).toBe(201);
    const [mail] = await mailsFor(email, 'welcome');
    expect(mail?.parsed.subject).toBe('Welcome to Homecore Test Lab');
    expect(mail?.parsed.text).toContain(`http://127.0.0.1:3000/${username}/`);
    expect(mail?.parsed.text).not.toContain('welcome-pass');
  });
});

describe('email-verification mail', () => {
  const verifyLinkIn = (text: string): URL => {
    const found = /https:\/\/sw\.pryv\.me\/access\/verify-email\.html\?\S+/.exec(text);
    expect(found).not.toBeNull();
    return new URL(found?.[0] ?? '');
  };
  const account = async (u: TestUser) => (await t.app.inject({ method: 'GET', url: `/${u.username}/account`, headers: { authorization: u.token } })).json().account;

  it('is sent at registration; its link verifies the address once; a new address is verified again', async () => {
    const u = await t.createUser();
    const [mail] = await mailsFor(u.user.email, 'email-verification');
    expect(mail?.parsed.subject).toBe('Homecore Test Lab: confirm your email address');
    const link = verifyLinkIn(mail?.parsed.text ?? '');
    expect(link.searchParams.get('username')).toBe(u.username);
    const token = link.searchParams.get('token') ?? '';
    expect(await account(u)).toMatchObject({ email: u.user.email, emailVerified: false });

    const ok = await publicCall(u, '/account/verify-email', { token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ email: u.user.email, emailVerified: true });
    expect(await account(u)).toMatchObject({ emailVerified: true });
    expect(errorOfRes(await publicCall(u, '/account/verify-email', { token }))).toEqual([401, 'invalid-access-token']);

    const newEmail = `new-${u.user.email}`;
    const upd = await t.app.inject({ method: 'PUT', url: `/${u.username}/account`, headers: { authorization: u.token }, payload: { email: newEmail } });
    expect(upd.json().account).toMatchObject({ email: newEmail, emailVerified: false });
    const [second] = await mailsFor(newEmail, 'email-verification');
    const again = verifyLinkIn(second?.parsed.text ?? '').searchParams.get('token');
    expect((await publicCall(u, '/account/verify-email', { token: again })).statusCode).toBe(200);
    expect(await account(u)).toMatchObject({ email: newEmail, emailVerified: true });
  });

  it("a link sent to a former address, or another user's link, does not verify", async () => {
    const [a, b] = [await t.createUser(), await t.createUser()];
    const tokenOf = async (email: string, count = 1) => verifyLinkIn((await mailsFor(email, 'email-verification', count))[count - 1]?.parsed.text ?? '').searchParams.get('token');
    const aToken = await tokenOf(a.user.email);
    expect(errorOfRes(await publicCall(b, '/account/verify-email', { token: aToken }))).toEqual([401, 'invalid-access-token']);
    await t.app.inject({ method: 'PUT', url: `/${a.username}/account`, headers: { authorization: a.token }, payload: { email: `other-${a.user.email}` } });
    expect(errorOfRes(await publicCall(a, '/account/verify-email', { token: aToken }))).toEqual([400, 'invalid-operation']);
  });
});

describe('admin mail-template routes', () => {
  const path = '/system/admin/mail/templates/reset-password/en/subject';

  it('an override replaces the bundled part until it is deleted', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/system/admin/mail/templates', headers: ADMIN });
    expect(list.statusCode).toBe(200);
    expect(list.json().templates).toContainEqual({ type: 'reset-password', lang: 'en', part: 'subject', source: 'file' });
    expect((await t.app.inject({ method: 'GET', url: path, headers: ADMIN })).body).toBe('{{ serviceName }}: reset your password\n');

    const put = await t.app.inject({ method: 'PUT', url: path, headers: ADMIN, payload: { source: 'Reset for {{ username }}' } });
    expect(put.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: path, headers: ADMIN })).body).toBe('Reset for {{ username }}');
    const u = await t.createUser();
    await publicCall(u, '/account/request-password-reset', { appId: 'reset-app-id' });
    expect((await mailsFor(u.user.email, 'reset-password'))[0]?.parsed.subject).toBe(`Reset for ${u.username}`);
    const listed = (await t.app.inject({ method: 'GET', url: '/system/admin/mail/templates', headers: ADMIN })).json().templates;
    expect(listed).toContainEqual({ type: 'reset-password', lang: 'en', part: 'subject', length: 24, source: 'override' });

    expect((await t.app.inject({ method: 'DELETE', url: path, headers: ADMIN })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'DELETE', url: path, headers: ADMIN })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: path, headers: ADMIN })).body).toBe('{{ serviceName }}: reset your password\n');
  });

  it.each([
    ['no admin key', 'GET', '/system/admin/mail/templates', {}, undefined, 404, 'unknown-resource'],
    ['an unknown kind', 'PUT', '/system/admin/mail/templates/nope/en/subject', ADMIN, { source: 'x' }, 400, 'invalid-parameters-format'],
    ['an unknown part', 'GET', '/system/admin/mail/templates/welcome/en/body', ADMIN, undefined, 400, 'invalid-parameters-format'],
    ['a bad language', 'GET', '/system/admin/mail/templates/welcome/..%2F..%2Fetc/subject', ADMIN, undefined, 400, 'invalid-parameters-format'],
    ['an empty source', 'PUT', path, ADMIN, { source: '' }, 400, 'invalid-parameters-format'],
    ['no template in that language', 'GET', '/system/admin/mail/templates/welcome/de/subject', ADMIN, undefined, 404, 'unknown-resource'],
  ] as const)('refuses %s', async (_n, method, url, headers, payload, status, id) => {
    const res = await t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });
});

describe('POST /system/admin/mail/send-test', () => {
  const sendTest = (payload: Record<string, unknown>, headers: Record<string, string> = ADMIN) =>
    t.app.inject({ method: 'POST', url: '/system/admin/mail/send-test', headers, payload });

  it('renders the template with stand-in values and sends it at once over SMTP', async () => {
    const res = await sendTest({ type: 'reset-password', lang: 'fr', recipient: 'ops@example.test' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sent: true, language: 'fr', meta: { apiVersion: expect.any(String) } });
    const mail = sink.mails.find((m) => m.to.includes('ops@example.test') && m.parsed.headers.get('x-homecore-test') === 'true');
    expect(mail?.parsed.headers.get('x-homecore-mail')).toBe('reset-password');
    expect(mail?.parsed.headers.get('content-language')).toBe('fr');
    expect(mail?.parsed.subject).toContain('Homecore Test Lab');
    expect(mail?.parsed.text).toContain('resetToken=TEST');
    expect(mail?.parsed.text).not.toMatch(/\{\{/);
  });

  it('an SMTP refusal answers 503 api-unavailable (one attempt, no retry)', async () => {
    const refusedBefore = sink.refused;
    sink.failNext(1);
    const res = await sendTest({ type: 'welcome', lang: 'en', recipient: 'ops@example.test' });
    expect(errorOfRes(res)).toEqual([503, 'api-unavailable']);
    expect(sink.refused - refusedBefore).toBe(1);
    sink.failNext(0);
  });

  it.each([
    ['no admin key', {}, { type: 'welcome', lang: 'en', recipient: 'a@b.test' }, 404, 'unknown-resource'],
    ['an unknown type', ADMIN, { type: 'nope', lang: 'en', recipient: 'a@b.test' }, 400, 'invalid-parameters-format'],
    ['a bad language', ADMIN, { type: 'welcome', lang: '../x', recipient: 'a@b.test' }, 400, 'invalid-parameters-format'],
    ['no recipient', ADMIN, { type: 'welcome', lang: 'en' }, 400, 'invalid-parameters-format'],
  ] as const)('refuses %s', async (_n, headers, payload, status, id) => {
    expect(errorOfRes(await sendTest(payload, headers))).toEqual([status, id]);
  });
});

describe('/openapi.json', () => {
  it('describes the mail-template and MFA admin routes and the mfa.* and verify-email methods', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = (path: string, verb: string) => doc.paths[path]?.[verb] as { operationId: string; security: unknown[] } | undefined;
    expect(op('/system/admin/mail/templates', 'get')?.security).toEqual([{ admin: [] }]);
    for (const verb of ['get', 'put', 'delete']) expect(op('/system/admin/mail/templates/{type}/{lang}/{part}', verb)?.operationId).toMatch(/^system\.mailTemplate/);
    expect(op('/system/users/{username}/mfa', 'delete')?.operationId).toBe('system.deactivateMfa');
    expect(op('/system/admin/mail/send-test', 'post')?.security).toEqual([{ admin: [] }]);
    for (const m of ['activate', 'confirm', 'challenge', 'verify', 'deactivate', 'recover']) expect(op(`/{username}/mfa/${m}`, 'post')?.operationId).toBe(`mfa.${m}`);
    expect(op('/{username}/account/verify-email', 'post')?.security).toEqual([]);
  });
});
