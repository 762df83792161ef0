import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { RequestContext, Services } from '../api/context.js';
import type { User } from '../domain/types.js';
import { ApiError, mfaErrors } from '../errors/index.js';
import { reserveAttempts } from '../auth/attempt-limits.js';
import { safeEqual } from '../auth/crypto.js';
import { callSmsProvider } from './sms.js';
import { totpStep } from './totp.js';

export type MfaMethod = 'totp' | 'sms';

/**
 * A pending MFA step, named by its mfaToken: an activation (mfa.activate → mfa.confirm) or a login
 * (auth.login → mfa.verify). Kept in the core's key_values under a keyed MAC of the token, so every
 * worker sees it and a leaked table yields no token; secrets inside are sealed or MACed.
 */
export interface MfaSession {
  kind: 'activate' | 'login';
  userId: string;
  method: MfaMethod;
  /** login: the app the session token will be for. */
  appId?: string;
  /** activate + totp: the new secret, sealed. */
  totpSecretSealed?: string;
  /** activate + sms: the user's provider parameters (phone number, message, …). */
  params?: Record<string, string>;
  /** sms single mode: MAC of the code sent. */
  codeMac?: string;
  /** Float seconds. */
  expires: number;
}

const sessionKey = (services: Services, token: string): string => `mfa-session:${services.vault.mac('mfa-session', token)}`;
/** Where a session may be stored: under each key, current first (one opened before a rotation). */
const sessionKeys = (services: Services, token: string): string[] => services.vault.macs('mfa-session', token).map((m) => `mfa-session:${m}`);
const codeMac = (services: Services, token: string, code: string): string => services.vault.mac('mfa-sms-code', `${token}\0${code}`);

/** MFA must be on for the platform (and the method, when named). */
export function assertMfaEnabled(services: Services, method?: MfaMethod): void {
  if (!services.config.mfa.enabled) throw mfaErrors.disabled();
  if (method !== undefined && !services.config.mfa[method].enabled) throw mfaErrors.methodDisabled(method);
}

export async function openMfaSession(services: Services, session: Omit<MfaSession, 'expires'>): Promise<{ token: string; session: MfaSession }> {
  const token = randomBytes(24).toString('base64url');
  const full: MfaSession = { ...session, expires: Date.now() / 1000 + services.config.mfa.sessionTtlSeconds };
  await services.stores.keyValue.put(sessionKey(services, token), full, full.expires);
  return { token, session: full };
}

/** The session named by the call's token (Authorization header), of one of `kinds`, for the path user. */
export async function currentMfaSession(ctx: RequestContext, kinds: MfaSession['kind'][]): Promise<{ token: string; session: MfaSession }> {
  assertMfaEnabled(ctx.services);
  const token = ctx.bearerToken ?? null;
  if (token === null || token === '' || ctx.user === null) throw mfaErrors.invalidSession();
  let value: MfaSession | null = null;
  for (const key of sessionKeys(ctx.services, token)) {
    value = (await ctx.services.stores.keyValue.get(key)) as MfaSession | null;
    if (value !== null) break;
  }
  if (value === null || value.userId !== ctx.user.id || !kinds.includes(value.kind)) throw mfaErrors.invalidSession();
  return { token, session: value };
}

export async function saveMfaSession(services: Services, token: string, session: MfaSession): Promise<void> {
  await services.stores.keyValue.put(sessionKey(services, token), session, session.expires);
}

/** Ends a session once; false when another request ended it first (two verifications racing). */
export async function closeMfaSession(services: Services, token: string): Promise<boolean> {
  let taken = false;
  for (const key of sessionKeys(services, token)) if ((await services.stores.keyValue.take(key)) !== null) taken = true;
  return taken;
}

/** The provider parameters of a session: from the activation, or from the stored second factor. */
async function smsParams(services: Services, session: MfaSession): Promise<Record<string, string>> {
  if (session.params !== undefined) return session.params;
  return (await services.stores.mfa.get(session.userId))?.data ?? {};
}

/** Sends the challenge of the session's method: nothing for TOTP (the code is on the user's device). */
/** Every SMS sent counts (each one costs money and reaches a phone): past the limit, 429 until the lock ends. */
async function countSmsSend(services: Services, userId: string): Promise<void> {
  try {
    await reserveAttempts(services, [{ name: 'mfaSmsPerUser', id: userId }]);
  } catch (err) {
    const retryAfter = err instanceof ApiError && err.id === 'too-many-attempts' ? (err.data as { retryAfter?: number }).retryAfter : undefined;
    throw retryAfter === undefined ? err : mfaErrors.tooManySms(retryAfter);
  }
}

export async function sendChallenge(services: Services, token: string, session: MfaSession): Promise<void> {
  if (session.method === 'totp') return;
  assertMfaEnabled(services, 'sms');
  const params = await smsParams(services, session);
  await countSmsSend(services, session.userId);
  const sms = services.config.mfa.sms;
  if (sms.mode === 'challenge-verify') {
    if (!(await callSmsProvider(services.config, services.logger, 'challenge', params))) throw mfaErrors.invalidCode('phone parameters');
    return;
  }
  const code = String(randomInt(0, 10 ** sms.codeLength)).padStart(sms.codeLength, '0');
  await saveMfaSession(services, token, { ...session, codeMac: codeMac(services, token, code) });
  if (!(await callSmsProvider(services.config, services.logger, 'single', { ...params, code }))) throw mfaErrors.invalidCode('phone parameters');
}

/** Whether `code` answers the session's challenge. A TOTP code is accepted once per user. */
export async function checkCode(services: Services, token: string, session: MfaSession, code: string): Promise<boolean> {
  if (session.method === 'totp') {
    const stored = session.totpSecretSealed ?? (await services.stores.mfa.get(session.userId))?.data['secretSealed'];
    if (stored === undefined) return false;
    const step = totpStep(services.config, services.vault.decrypt(stored), code);
    if (step === null) return false;
    // An activation has no stored factor yet (nothing to replay against); a login code is spent.
    return session.kind === 'activate' || (await services.stores.mfa.useTotpStep(session.userId, step));
  }
  if (services.config.mfa.sms.mode === 'challenge-verify') {
    return callSmsProvider(services.config, services.logger, 'verify', { ...(await smsParams(services, session)), code });
  }
  const sent = session.codeMac;
  return sent !== undefined && services.vault.macs('mfa-sms-code', `${token}\0${code}`).some((mac) => safeEqual(mac, sent));
}

/** Recovery codes, shown once (mfa.confirm); stored as keyed hashes bound to the user. */
export function newRecoveryCodes(count: number): string[] {
  return Array.from({ length: count }, () => randomUUID());
}

export function recoveryCodeHash(services: Services, userId: string, code: string): string {
  return services.vault.mac('mfa-recovery-code', `${userId}\0${code.trim().toLowerCase()}`);
}

/** The recovery code's hash under every key: codes shown before a rotation stay good until their key is retired. */
export function recoveryCodeHashes(services: Services, userId: string, code: string): string[] {
  return services.vault.macs('mfa-recovery-code', `${userId}\0${code.trim().toLowerCase()}`);
}

/** Turns MFA off for the user (mfa.deactivate, mfa.recover, the admin route); false when it was off. */
export async function deactivateMfa(services: Services, user: User): Promise<boolean> {
  const done = await services.stores.mfa.deactivate(user.id);
  if (done) services.logger.info({ component: 'mfa', username: user.username }, 'MFA deactivated');
  return done;
}
