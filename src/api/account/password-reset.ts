import { randomBytes } from 'node:crypto';
import type { Services } from '../context.js';

/**
 * Password-reset tokens (Pryv API §3). The database holds only a keyed MAC of the token, bound to
 * the user id: a leaked key_values table yields no usable token, and a token sent to another
 * user's endpoint finds nothing (it is not consumed there). One live token per user: a new request
 * retires the previous one through a per-user pointer record.
 */
export function newResetToken(): string {
  return randomBytes(32).toString('base64url');
}

export function resetTokenKey(services: Services, userId: string, token: string): string {
  return `password-reset:${services.vault.mac('password-reset', `${userId}\0${token}`)}`;
}

function pointerKey(userId: string): string {
  return `password-reset-user:${userId}`;
}

/** Stores a new token's MAC for `passwordResetTtlSeconds`, retiring the user's previous one; returns its expiry. */
export async function storeResetToken(services: Services, userId: string, token: string): Promise<number> {
  const kv = services.stores.keyValue;
  const previous = await kv.get(pointerKey(userId));
  if (typeof previous === 'string') await kv.delete(previous);
  const expires = Date.now() / 1000 + services.config.auth.passwordResetTtlSeconds;
  const key = resetTokenKey(services, userId, token);
  await kv.put(key, { userId }, expires);
  await kv.put(pointerKey(userId), key, expires);
  return expires;
}

/** Consumes a token in one step (single use); false when unknown, already used or expired. */
export async function consumeResetToken(services: Services, userId: string, token: string): Promise<boolean> {
  const kv = services.stores.keyValue;
  // Under each key, current first: a token mailed before a rotation still works.
  let value: unknown = null;
  for (const mac of services.vault.macs('password-reset', `${userId}\0${token}`)) {
    value = await kv.take(`password-reset:${mac}`);
    if (value !== null) break;
  }
  if (value === null) return false;
  await kv.delete(pointerKey(userId));
  return true;
}
