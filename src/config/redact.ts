import type { Config } from './schema.js';

const SECRET_KEYS = /password|secret|token|key$|^authorization$/i;
/** `scheme://user:pass@host` → credentials hidden (e.g. storages.mongodb.url). */
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]+@/i;

/** A printable copy of the config with secrets replaced (bin/check-config, logs). */
export function redactConfig(config: Readonly<Config>): unknown {
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string' && SECRET_KEYS.test(key) && v !== '') return '[redacted]';
    // mfa.sms.endpoints.*.headers: provider credentials go there under any name.
    if (key === 'headers' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).map((k) => [k, '[redacted]']));
    }
    if (typeof v === 'string' && URL_CREDENTIALS.test(v)) return v.replace(URL_CREDENTIALS, '$1[redacted]@');
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(config, '');
}
