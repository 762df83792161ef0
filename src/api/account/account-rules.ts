import { type ApiError, errors } from '../../errors/index.js';
import { ownUrls } from '../endpoints.js';
import { isTrustedApp, parseTrustedApps } from '../../auth/trusted-apps.js';
import type { User } from '../../domain/types.js';
import type { RequestContext, Services } from '../context.js';
import { emailVerifiedField } from '../../mail/email-verification.js';

/** The path user; methods of this module only run under `/{username}/`. */
export function pathUser(ctx: RequestContext): User {
  if (ctx.user === null) throw errors.notFound('Unknown user');
  return ctx.user;
}

/**
 * One `invalid-parameters-format` problem with the per-field code Pryv clients know
 * (`newPassword-required`, `password-invalid`, `email-invalid`, …; Pryv API §1.4).
 */
export function paramProblem(code: string, param: string, message: string): ApiError {
  return errors.invalidParametersFormat(message, [{ code, message, path: `#/${param}`, param }]);
}

/** New-password rules: present, `auth.passwordMinLength`..100 characters (Pryv API §3). */
export function checkNewPassword(services: Services, value: string | undefined): string {
  if (value === undefined || value === '') throw paramProblem('newPassword-required', 'newPassword', 'newPassword is required.');
  const min = services.config.auth.passwordMinLength;
  if (value.length < min || value.length > 100) {
    throw paramProblem('password-invalid', 'newPassword', `newPassword must be ${min}–100 characters.`);
  }
  return value;
}

/** Public account methods, like auth.login, only answer trusted apps from trusted origins (Pryv API §3.6). */
export function assertTrustedApp(ctx: RequestContext, appId: string): void {
  const rules = parseTrustedApps(ctx.services.config.auth.trustedApps, ownUrls(ctx.services.config));
  if (!isTrustedApp(rules, appId, ctx.origin ?? ctx.referer)) {
    throw errors.invalidCredentials(`The app "${appId}" is not trusted from this origin.`);
  }
}

/** A `username` param, when given, must name the path user (as in auth.login). */
export function assertSameUser(user: User, username: string | undefined): void {
  if (username !== undefined && username.toLowerCase() !== user.username) {
    throw errors.invalidOperation('The username does not match the user of this endpoint.');
  }
}

export interface AccountView {
  username: string;
  email: string;
  language: string;
  storageUsed: { dbDocuments: number; attachedFiles: number };
  /** Only when the platform verifies addresses (docs/api.md#mail). */
  emailVerified?: boolean;
}

/** The account structure (Pryv API §2.6); SDK clients read both storageUsed numbers. */
export async function accountOf(services: Services, user: User): Promise<AccountView> {
  return {
    username: user.username,
    email: user.email,
    language: user.language,
    storageUsed: await services.stores.users.storageUsed(user.id),
    ...(await emailVerifiedField(services, user)),
  };
}
