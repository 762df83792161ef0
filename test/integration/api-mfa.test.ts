import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { startFakeSmsProvider, type FakeSmsProvider } from '../helpers/fake-sms-provider.js';
import { totpCode } from '../../src/mfa/totp.js';

/**
 * mfa.* scenarios (docs/api.md#multi-factor-authentication): TOTP built in, SMS through a provider
 * that is a real HTTP server on loopback recording what it gets.
 */
const ORIGIN = 'http://127.0.0.1:3000';
const APP = 'mfa-test-app';
const ADMIN = { authorization: 'test-admin-key-0123456789' };
const SMS_KEY = 'Bearer sms-provider-secret';

let sms: FakeSmsProvider;
let t: ApiTestApp;
let cv: ApiTestApp;
let off: ApiTestApp;

const smsEndpoint = (name: string, path: string, body: string): Record<string, string> => ({
  [`HOMECORE_MFA__SMS__ENDPOINTS__${name}__URL`]: `${sms.base}${path}`,
  [`HOMECORE_MFA__SMS__ENDPOINTS__${name}__BODY`]: body,
  [`HOMECORE_MFA__SMS__ENDPOINTS__${name}__HEADERS`]: JSON.stringify({ authorization: SMS_KEY, 'content-type': 'application/x-www-form-urlencoded' }),
});

beforeAll(async () => {
  sms = await startFakeSmsProvider();
  const mfaOn = {
    HOMECORE_MFA__ENABLED: 'true',
    HOMECORE_MFA__SMS__ENABLED: 'true',
    HOMECORE_SERVICE__NAME: 'MFA Lab',
    // A lock long enough to outlast the slow (scrypt) attempts before it, whatever the machine's load.
    HOMECORE_ATTEMPT_LIMITS__MFA_PER_USERNAME__BASE_DELAY_SECONDS: '600',
  };
  t = await createApiTestApp({ ...mfaOn, ...smsEndpoint('SINGLE', '/send?lang={{ lang }}', 'to={{ phone }}&text={{ message }}') });
  cv = await createApiTestApp({
    ...mfaOn,
    HOMECORE_MFA__SMS__MODE: 'challenge-verify',
    HOMECORE_MFA__DEFAULT_METHOD: 'sms',
    ...smsEndpoint('CHALLENGE', '/challenge', 'phone={{ phone }}'),
    ...smsEndpoint('VERIFY', '/verify', 'phone={{ phone }}&code={{ code }}'),
  });
  off = await createApiTestApp();
});
afterAll(async () => {
  await Promise.all([t?.close(), cv?.close(), off?.close()]);
  await sms?.close();
});

type Payload = Record<string, unknown>;
const post = (a: ApiTestApp, u: TestUser, path: string, payload: Payload = {}, token?: string) =>
  a.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: { origin: ORIGIN, ...(token === undefined ? {} : { authorization: token }) }, payload });
const login = (a: ApiTestApp, u: TestUser) => post(a, u, '/auth/login', { username: u.username, password: u.password, appId: APP });
const errorOf = (res: { statusCode: number; json(): { error?: { id: string } } }) => [res.statusCode, res.json().error?.id];

/** Activates TOTP for `u` through the API; returns the secret and the recovery codes. */
async function activateTotp(a: ApiTestApp, u: TestUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  const act = await post(a, u, '/mfa/activate', { method: 'totp' }, u.token);
  expect(act.statusCode).toBe(200);
  const { mfaToken, secret } = act.json();
  const conf = await post(a, u, '/mfa/confirm', { code: totpCode(a.config, secret) }, mfaToken);
  expect(conf.statusCode).toBe(200);
  return { secret, recoveryCodes: conf.json().recoveryCodes };
}

describe('TOTP', () => {
  it('activate → confirm → login answers an mfaToken → verify gives a working session token', async () => {
    const u = await t.createUser();
    const act = await post(t, u, '/mfa/activate', { method: 'totp' }, u.token);
    expect(act.statusCode).toBe(200);
    const { mfaToken, secret, otpauthUri, method } = act.json();
    expect(method).toBe('totp');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toBe(`otpauth://totp/MFA%20Lab:${u.username}?issuer=MFA%20Lab&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
    expect(errorOf(await post(t, u, '/mfa/confirm', { code: '000000' === totpCode(t.config, secret) ? '111111' : '000000' }, mfaToken))).toEqual([400, 'invalid-parameter']);
    const confirmCode = totpCode(t.config, secret);
    const conf = await post(t, u, '/mfa/confirm', { code: confirmCode }, mfaToken);
    expect(conf.statusCode).toBe(200);
    const { recoveryCodes } = conf.json();
    expect(recoveryCodes).toHaveLength(10);
    // Stored protected: the secret sealed, the recovery codes only as keyed hashes.
    const stored = await t.storedText();
    const record = await t.services.stores.mfa.get(u.user.id);
    expect(record).toMatchObject({ method: 'totp', data: { secretSealed: expect.any(String) } });
    expect(record?.recoveryCodeHashes).toHaveLength(10);
    expect(stored).toContain(u.user.id);
    expect(stored).not.toContain(secret);
    for (const code of recoveryCodes) expect(stored).not.toContain(code);
    // The activation token is spent.
    expect(errorOf(await post(t, u, '/mfa/confirm', { code: totpCode(t.config, secret) }, mfaToken))).toEqual([403, 'forbidden']);

    // The confirming code is spent: it does not pass the login step.
    const spent = (await login(t, u)).json().mfaToken;
    expect(errorOf(await post(t, u, '/mfa/verify', { code: confirmCode }, spent))).toEqual([400, 'invalid-parameter']);
    const step = await login(t, u);
    expect(step.statusCode).toBe(200);
    expect(Object.keys(step.json()).sort()).toEqual(['meta', 'mfaMethod', 'mfaToken']);
    const loginToken = step.json().mfaToken;
    expect(step.json().mfaMethod).toBe('totp');
    expect((await post(t, u, '/mfa/challenge', {}, loginToken)).json()).toMatchObject({ message: 'Please verify the MFA challenge.', method: 'totp' });
    expect(errorOf(await post(t, u, '/mfa/verify', {}, loginToken))).toEqual([400, 'missing-parameter']);
    // The next time step's code (accepted within mfa.totp.window): the current one may be the spent confirming code.
    const code = totpCode(t.config, secret, Date.now() + 30_000);
    const ok = await post(t, u, '/mfa/verify', { code }, loginToken);
    expect(ok.statusCode).toBe(200);
    const { token, apiEndpoint } = ok.json();
    expect(apiEndpoint).toContain(`/${u.username}/`);
    expect((await t.app.inject({ method: 'GET', url: `/${u.username}/account`, headers: { authorization: token } })).statusCode).toBe(200);
    // A code works once: the same code at the next login is refused (RFC 6238 §5.2).
    const next = (await login(t, u)).json().mfaToken;
    expect(errorOf(await post(t, u, '/mfa/verify', { code }, next))).toEqual([400, 'invalid-parameter']);

    expect((await post(t, u, '/mfa/deactivate', {}, token)).json()).toMatchObject({ message: 'MFA deactivated.' });
    expect((await login(t, u)).json().token).toEqual(expect.any(String));
  });

  it.each([
    ['no token', () => undefined],
    ['an unknown token', () => 'not-an-mfa-token'],
    ['a personal access token', (u: TestUser) => u.token],
  ])('mfa.verify refuses %s with 403 forbidden', async (_n, token) => {
    const u = await t.createUser();
    await activateTotp(t, u);
    expect(errorOf(await post(t, u, '/mfa/verify', { code: '123456' }, token(u)))).toEqual([403, 'forbidden']);
  });

  it("an mfaToken works only for its own kind and user", async () => {
    const [a, b] = [await t.createUser(), await t.createUser()];
    const { secret } = await activateTotp(t, a);
    const loginToken = (await login(t, a)).json().mfaToken;
    expect(errorOf(await post(t, b, '/mfa/verify', { code: totpCode(t.config, secret) }, loginToken))).toEqual([403, 'forbidden']);
    expect(errorOf(await post(t, a, '/mfa/confirm', { code: totpCode(t.config, secret) }, loginToken))).toEqual([403, 'forbidden']);
    const activation = (await post(t, b, '/mfa/activate', { method: 'totp' }, b.token)).json().mfaToken;
    expect(errorOf(await post(t, b, '/mfa/verify', { code: '123456' }, activation))).toEqual([403, 'forbidden']);
  });

  it('mfa.activate: refused when already active, for non-personal accesses, and inside a batch', async () => {
    const u = await t.createUser();
    await activateTotp(t, u);
    expect(errorOf(await post(t, u, '/mfa/activate', { method: 'totp' }, u.token))).toEqual([400, 'invalid-operation']);
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }] });
    expect(errorOf(await post(t, u, '/mfa/deactivate', {}, app.token))).toEqual([403, 'forbidden']);
    const batch = await t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: u.token }, payload: [{ method: 'mfa.verify', params: { code: '1' } }] });
    expect(batch.json().results[0].error).toMatchObject({ id: 'forbidden', data: { method: 'mfa.verify', reason: 'not-in-batch' } });
  });

  it('wrong codes at mfa.verify hit the attempt limit: then even the right code gets 429', async () => {
    const u = await t.createUser();
    const { secret } = await activateTotp(t, u);
    const mfaToken = (await login(t, u)).json().mfaToken;
    const wrong = totpCode(t.config, secret) === '999999' ? '888888' : '999999';
    for (let i = 0; i < t.config.attemptLimits.mfaPerUsername.free - 1; i++) {
      expect(errorOf(await post(t, u, '/mfa/verify', { code: wrong }, mfaToken))).toEqual([400, 'invalid-parameter']);
    }
    expect((await post(t, u, '/mfa/verify', { code: wrong }, mfaToken)).statusCode).toBe(400);
    const locked = await post(t, u, '/mfa/verify', { code: totpCode(t.config, secret) }, mfaToken);
    expect(errorOf(locked)).toEqual([429, 'too-many-attempts']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('mfa.recover and the admin route', () => {
  it('a recovery code with the password turns MFA off; codes and passwords are checked', async () => {
    const u = await t.createUser();
    const { recoveryCodes } = await activateTotp(t, u);
    const base = { username: u.username, password: u.password, appId: APP };
    expect(errorOf(await post(t, u, '/mfa/recover', base))).toEqual([400, 'missing-parameter']);
    expect(errorOf(await post(t, u, '/mfa/recover', { ...base, recoveryCode: 'not-a-code' }))).toEqual([400, 'invalid-parameter']);
    expect(errorOf(await post(t, u, '/mfa/recover', { ...base, password: 'wrong-password', recoveryCode: recoveryCodes[3] }))).toEqual([401, 'invalid-credentials']);
    expect((await login(t, u)).json().mfaToken).toEqual(expect.any(String));
    const ok = await post(t, u, '/mfa/recover', { ...base, recoveryCode: recoveryCodes[3] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().message).toBe('MFA deactivated.');
    expect((await login(t, u)).json().token).toEqual(expect.any(String));
  });

  it('wrong recovery codes hit the attempt limit (429)', async () => {
    const u = await t.createUser();
    const { recoveryCodes } = await activateTotp(t, u);
    const base = { username: u.username, password: u.password, appId: APP };
    for (let i = 0; i < t.config.attemptLimits.mfaPerUsername.free; i++) await post(t, u, '/mfa/recover', { ...base, recoveryCode: `wrong-${i}` });
    expect(errorOf(await post(t, u, '/mfa/recover', { ...base, recoveryCode: recoveryCodes[0] }))).toEqual([429, 'too-many-attempts']);
  });

  it('DELETE /system/users/{username}/mfa turns MFA off (admin key only)', async () => {
    const u = await t.createUser();
    await activateTotp(t, u);
    expect(errorOf(await t.app.inject({ method: 'DELETE', url: `/system/users/${u.username}/mfa` }))).toEqual([404, 'unknown-resource']);
    expect((await login(t, u)).json().mfaToken).toEqual(expect.any(String));
    expect((await t.app.inject({ method: 'DELETE', url: `/system/users/${u.username}/mfa`, headers: ADMIN })).statusCode).toBe(204);
    expect((await login(t, u)).json().token).toEqual(expect.any(String));
    expect(errorOf(await t.app.inject({ method: 'DELETE', url: '/system/users/nosuchuser42/mfa', headers: ADMIN }))).toEqual([404, 'unknown-resource']);
  });
});

/** The provider's requests made since `from`. */
const sent = (from: number) => sms.requests.slice(from);
const codeIn = (body: string): string => /Code: (\d+)/.exec(decodeURIComponent(body))?.[1] ?? '';

describe('SMS, single mode (homecore makes the code)', () => {
  it('activation and login send a code through the provider; the code confirms and verifies', async () => {
    const u = await t.createUser();
    const from = sms.requests.length;
    const act = await post(t, u, '/mfa/activate', { method: 'sms', phone: '41791234567', message: 'Code: {{ code }}', lang: 'fr' }, u.token);
    expect(act.statusCode).toBe(200);
    expect(act.json()).toMatchObject({ method: 'sms', mfaToken: expect.any(String) });
    const [req] = sent(from);
    expect(req).toMatchObject({ method: 'POST', url: '/send?lang=fr', headers: { authorization: SMS_KEY } });
    const code = codeIn(req?.body ?? '');
    expect(req?.body).toBe(`to=41791234567&text=Code: ${code}`);
    expect(code).toMatch(/^\d{6}$/);
    const conf = await post(t, u, '/mfa/confirm', { code }, act.json().mfaToken);
    expect(conf.statusCode).toBe(200);

    const step = (await login(t, u)).json();
    expect(step.mfaMethod).toBe('sms');
    const before = sms.requests.length;
    expect((await post(t, u, '/mfa/challenge', {}, step.mfaToken)).statusCode).toBe(200);
    const loginCode = codeIn(sent(before)[0]?.body ?? '');
    expect(errorOf(await post(t, u, '/mfa/verify', { code: loginCode === '000000' ? '000001' : '000000' }, step.mfaToken))).toEqual([400, 'invalid-parameter']);
    expect((await post(t, u, '/mfa/verify', { code: loginCode }, step.mfaToken)).json().token).toEqual(expect.any(String));
  });

  it('a provider failure answers 503 api-unavailable; no phone parameter is 400', async () => {
    const u = await t.createUser();
    expect(errorOf(await post(t, u, '/mfa/activate', { method: 'sms' }, u.token))).toEqual([400, 'missing-parameter']);
    sms.failNext(1, 502);
    expect(errorOf(await post(t, u, '/mfa/activate', { method: 'sms', phone: '41790000000', message: 'Code: {{ code }}' }, u.token))).toEqual([503, 'api-unavailable']);
  });
});

describe('SMS send limit (attemptLimits.mfaSmsPerUser)', () => {
  it('past `free` sends per user, mfa.challenge answers 429 too-many-attempts with Retry-After and sends nothing', async () => {
    const u = await t.createUser();
    const act = await post(t, u, '/mfa/activate', { method: 'sms', phone: '41791230000', message: 'Code: {{ code }}' }, u.token);
    expect(act.statusCode).toBe(200);
    const { mfaToken } = act.json();
    const { free } = t.config.attemptLimits.mfaSmsPerUser;
    for (let i = 1; i < free; i++) expect((await post(t, u, '/mfa/challenge', {}, mfaToken)).statusCode).toBe(200);
    const before = sms.requests.length;
    const refused = await post(t, u, '/mfa/challenge', {}, mfaToken);
    expect(errorOf(refused)).toEqual([429, 'too-many-attempts']);
    expect(refused.json().error.data).toMatchObject({ limit: 'mfaSmsPerUser', retryAfter: expect.any(Number) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(sms.requests.length).toBe(before);
    // Another user is not limited by it.
    const other = await t.createUser();
    expect((await post(t, other, '/mfa/activate', { method: 'sms', phone: '41791230001', message: 'Code: {{ code }}' }, other.token)).statusCode).toBe(200);
  });
});

describe('SMS, challenge-verify mode (the provider makes and checks codes)', () => {
  it('activation calls challenge; confirm and verify are checked by the provider', async () => {
    const u = await cv.createUser();
    const from = sms.requests.length;
    const act = await post(cv, u, '/mfa/activate', { phone: '41797654321' }, u.token);
    expect(act.json()).toMatchObject({ method: 'sms' });
    expect(sent(from)).toEqual([expect.objectContaining({ url: '/challenge', body: 'phone=41797654321', headers: expect.objectContaining({ authorization: SMS_KEY }) })]);
    expect(errorOf(await post(cv, u, '/mfa/confirm', { code: '000000' }, act.json().mfaToken))).toEqual([400, 'invalid-parameter']);
    expect((await post(cv, u, '/mfa/confirm', { code: sms.validCode }, act.json().mfaToken)).statusCode).toBe(200);
    expect(sent(from).at(-1)).toMatchObject({ url: '/verify', body: `phone=41797654321&code=${sms.validCode}` });

    const step = (await login(cv, u)).json();
    const before = sms.requests.length;
    await post(cv, u, '/mfa/challenge', {}, step.mfaToken);
    expect(sent(before)[0]).toMatchObject({ url: '/challenge', body: 'phone=41797654321' });
    expect((await post(cv, u, '/mfa/verify', { code: sms.validCode }, step.mfaToken)).json().token).toEqual(expect.any(String));
  });
});

describe('MFA off on the platform', () => {
  it('mfa.* answer 451 unavailable-method and logins give a token', async () => {
    const u = await off.createUser();
    expect(errorOf(await post(off, u, '/mfa/activate', { method: 'totp' }, u.token))).toEqual([451, 'unavailable-method']);
    expect(errorOf(await post(off, u, '/mfa/verify', { code: '1' }, 'x'))).toEqual([451, 'unavailable-method']);
    expect((await login(off, u)).json().token).toEqual(expect.any(String));
  });
});
