import { randomBytes } from 'node:crypto';
import type { Services } from '../api/context.js';
import type { User } from '../domain/types.js';
import { emailVerificationLink } from './links.js';

/**
 * Email verification: a mail with a single-use link proves the user reads the address. As with
 * password resets, the database keeps only a keyed MAC of the token, bound to the user.
 */
const tokenKey = (services: Services, userId: string, token: string): string => `email-verification:${services.vault.mac('email-verification', `${userId}\0${token}`)}`;

/** Whether this platform verifies addresses (mail on, and this mail on). */
export function verifiesEmails(services: Services): boolean {
  return services.config.mail.enabled && services.config.mail.send.emailVerification;
}

/** Sends the verification mail for the user's current address (registration, email change). */
export async function sendEmailVerificationMail(services: Services, user: User): Promise<void> {
  if (!verifiesEmails(services)) return;
  const token = randomBytes(32).toString('base64url');
  const expires = Date.now() / 1000 + services.config.mail.emailVerificationTtlSeconds;
  await services.stores.keyValue.put(tokenKey(services, user.id, token), { userId: user.id, email: user.email }, expires);
  services.mailer.send({
    kind: 'email-verification',
    to: user.email,
    language: user.language,
    vars: {
      username: user.username,
      email: user.email,
      verificationUrl: emailVerificationLink(services.config, { token, username: user.username }),
      serviceName: services.config.service.name,
    },
  });
}

/** Consumes a token (single use): the address it was sent to, or null when unknown, used or expired. */
export async function consumeEmailVerification(services: Services, userId: string, token: string): Promise<string | null> {
  type Pending = { userId?: unknown; email?: unknown } | null;
  let value: Pending = null;
  // Under each key, current first: a link mailed before a rotation still works.
  for (const mac of services.vault.macs('email-verification', `${userId}\0${token}`)) {
    value = (await services.stores.keyValue.take(`email-verification:${mac}`)) as Pending;
    if (value !== null) break;
  }
  return value !== null && value.userId === userId && typeof value.email === 'string' ? value.email : null;
}

/** `account.emailVerified` when the platform verifies addresses: the current address was verified. */
export async function emailVerifiedField(services: Services, user: User): Promise<{ emailVerified?: boolean }> {
  if (!verifiesEmails(services)) return {};
  const verified = await services.stores.emailVerifications.get(user.id);
  return { emailVerified: verified !== null && verified.email.toLowerCase() === user.email.toLowerCase() };
}
