import { Secret, TOTP } from 'otpauth';
import type { Config } from '../config/index.js';

/** TOTP (RFC 6238) through the `otpauth` library: SHA-1, as every authenticator app supports it. */
function totpOf(config: Readonly<Config>, secret: Secret, username: string): TOTP {
  const t = config.mfa.totp;
  return new TOTP({
    issuer: t.issuer ?? config.service.name,
    label: username,
    algorithm: 'SHA1',
    digits: t.digits,
    period: t.periodSeconds,
    secret,
  });
}

/** A new random secret (160 bits, RFC 4226 §4) in Base32, and its otpauth:// URI for a QR code. */
export function newTotpSecret(config: Readonly<Config>, username: string): { secret: string; otpauthUri: string } {
  const secret = new Secret({ size: 20 });
  return { secret: secret.base32, otpauthUri: totpOf(config, secret, username).toString() };
}

/**
 * The time step of `code` when it is valid within `mfa.totp.window` steps of now, else null. The
 * caller makes sure a step is used once (MfaStore.useTotpStep).
 */
export function totpStep(config: Readonly<Config>, secretBase32: string, code: string, now = Date.now()): number | null {
  if (!/^\d+$/.test(code) || code.length !== config.mfa.totp.digits) return null;
  const totp = totpOf(config, Secret.fromBase32(secretBase32), '');
  const delta = totp.validate({ token: code, timestamp: now, window: config.mfa.totp.window });
  if (delta === null) return null;
  return totp.counter({ timestamp: now }) + delta;
}

/** The code of now (tests, and nothing else: codes come from the user's device). */
export function totpCode(config: Readonly<Config>, secretBase32: string, now = Date.now()): string {
  return totpOf(config, Secret.fromBase32(secretBase32), '').generate({ timestamp: now });
}
