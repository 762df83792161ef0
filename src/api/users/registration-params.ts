import { errors } from '../../errors/index.js';
import { USERNAME_PATTERN } from '../../domain/username.js';
import type { Config } from '../../config/index.js';
import { systemStreamsOf } from '../../domain/system-streams.js';

export interface RegistrationParams {
  username: string;
  password: string | null;
  passwordHash: string | null;
  email: string;
  appId: string;
  hosting: string | null;
  language: string;
  invitationToken: string | null;
  referer: string | null;
  /** Custom account fields (`systemStreams.account`) by key, defaults applied. */
  accountFields: Record<string, string>;
}

export const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;

interface Problem {
  code: string;
  message: string;
  param: string;
}

function str(body: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = body[k];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * Registration body → params, with the per-field codes Pryv clients know (`username-invalid`,
 * `email-required`, …) in `invalid-parameters-format.data` (Pryv API §1.4, §4.2). Legacy aliases
 * `appid`, `languageCode`, `invitationtoken` are accepted.
 */
export function parseRegistration(raw: unknown, config: Readonly<Config>, options: { allowPasswordHash?: boolean } = {}): RegistrationParams {
  const body = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const problems: Problem[] = [];
  const need = (value: string | undefined, field: string, ok: (v: string) => boolean, rule: string): string => {
    if (value === undefined || value === '') {
      problems.push({ code: `${field}-required`, message: `${field} is required`, param: field });
      return '';
    }
    if (!ok(value)) problems.push({ code: `${field}-invalid`, message: `${field} ${rule}`, param: field });
    return value;
  };
  const username = need(str(body, 'username')?.toLowerCase(), 'username', (v) => USERNAME_PATTERN.test(v), 'must be 5–60 lowercase letters, digits or dashes');
  const email = need(str(body, 'email'), 'email', (v) => EMAIL.test(v), 'is not a valid email address');
  const passwordHash = options.allowPasswordHash === true ? (str(body, 'passwordHash') ?? null) : null;
  let password: string | null = null;
  if (passwordHash === null) {
    const min = config.auth.passwordMinLength;
    password = need(str(body, 'password'), 'password', (v) => v.length >= min && v.length <= 100, `must be ${min}–100 characters`);
  }
  const appId = str(body, 'appId', 'appid') ?? 'homecore-registration';
  if (appId.length < 6 || appId.length > 99) problems.push({ code: 'appid-invalid', message: 'appId must be 6–99 characters', param: 'appId' });
  const language = str(body, 'language', 'languageCode') ?? 'en';
  if (language.length < 1 || language.length > 5) problems.push({ code: 'language-invalid', message: 'language must be 1–5 characters', param: 'language' });
  const referer = str(body, 'referer') ?? null;
  if (referer !== null && (referer.length < 1 || referer.length > 99)) problems.push({ code: 'referer-invalid', message: 'referer must be 1–99 characters', param: 'referer' });
  const hosting = str(body, 'hosting') ?? null;
  const invitationToken = str(body, 'invitationToken', 'invitationtoken') ?? null;
  const accountFields = customFieldValues(body, config, problems);
  if (problems.length > 0) {
    throw errors.invalidParametersFormat('The registration parameters are invalid.', problems.map((p) => ({ ...p, path: `#/${p.param}` })));
  }
  return { username, password, passwordHash, email, appId, hosting, language, invitationToken, referer, accountFields };
}

/**
 * Custom account fields of a registration body (docs/api.md#custom-account-fields): a string per
 * field, `<key>-required` when a required field is missing, `<key>-invalid` when it is not a string
 * or does not match its `regexValidation`. A missing optional field takes its `default`, if any.
 */
function customFieldValues(body: Record<string, unknown>, config: Readonly<Config>, problems: Problem[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of systemStreamsOf(config).customFields()) {
    const raw = body[f.key];
    if (raw === undefined || raw === null || raw === '') {
      if (f.isRequiredInValidation) problems.push({ code: `${f.key}-required`, message: `${f.key} is required`, param: f.key });
      else if (f.default !== undefined) values[f.key] = f.default;
      continue;
    }
    if (typeof raw !== 'string' || raw.length > 1000 || (f.regexValidation !== null && !f.regexValidation.test(raw))) {
      problems.push({ code: `${f.key}-invalid`, message: `${f.key} is not in the expected format`, param: f.key });
      continue;
    }
    values[f.key] = raw;
  }
  return values;
}

/** Reserved names: the `pryv` prefix, the operator's list and the first path segments of our routes. */
export function isReservedUsername(username: string, config: Readonly<Config>): boolean {
  const routeWords = ['reg', 'system', 'users', 'service', 'socket-io', 'www', 'access', 'favicon', 'oauth2', 'auth', 'admin'];
  return username.startsWith('pryv') || config.registration.reservedUsernames.includes(username) || routeWords.includes(username);
}
