import type { Config } from './schema.js';

/** Cross-key rules of the `mail` and `mfa` sections (the schema checks each key alone). */
export function mailMfaProblems(config: Readonly<Config>): string[] {
  const problems: string[] = [];
  const { mfa } = config;
  if (mfa.enabled && !mfa.totp.enabled && !mfa.sms.enabled) problems.push('mfa.enabled: needs mfa.totp.enabled or mfa.sms.enabled');
  if (mfa.enabled && !mfa[mfa.defaultMethod].enabled) problems.push(`mfa.defaultMethod: ${mfa.defaultMethod} is not enabled`);
  if (mfa.sms.enabled) {
    const needed = mfa.sms.mode === 'single' ? (['single'] as const) : (['challenge', 'verify'] as const);
    for (const name of needed) {
      const url = mfa.sms.endpoints[name].url;
      if (!/^https?:\/\/[^\s/{}]+/i.test(url)) problems.push(`mfa.sms.endpoints.${name}.url: an http(s) URL is required with mfa.sms.mode ${mfa.sms.mode}`);
    }
  }
  if (config.mail.smtp.secure && config.mail.smtp.requireTls) problems.push('mail.smtp.requireTls: only for plain connections (secure: false) upgraded by STARTTLS');
  return problems;
}
