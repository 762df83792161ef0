import type { Config } from '../config/index.js';

/** `mail.resetPasswordUrl` / `emailVerificationUrl`, or that page next to `access.defaultAuthUrl`. */
function page(config: Readonly<Config>, configured: string | null, file: string): URL {
  return new URL(configured ?? new URL(file, config.access.defaultAuthUrl).href);
}

/** The reset link of a password-reset mail: the page, with what account.resetPassword needs. */
export function resetPasswordLink(config: Readonly<Config>, p: { resetToken: string; username: string; appId: string }): string {
  const url = page(config, config.mail.resetPasswordUrl, 'reset-password.html');
  url.searchParams.set('resetToken', p.resetToken);
  url.searchParams.set('username', p.username);
  url.searchParams.set('appId', p.appId);
  return url.href;
}

/** The link of an email-verification mail. */
export function emailVerificationLink(config: Readonly<Config>, p: { token: string; username: string }): string {
  const url = page(config, config.mail.emailVerificationUrl, 'verify-email.html');
  url.searchParams.set('token', p.token);
  url.searchParams.set('username', p.username);
  return url.href;
}
