import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { errors } from '../errors/index.js';

type Endpoint = Config['mfa']['sms']['endpoints']['single'];

/** `{{ name }}` → value; in a URL each value is URL-encoded, elsewhere it is taken as is. */
export function substitute(template: string, vars: Record<string, string>, encode: boolean): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const value = vars[name] ?? '';
    return encode ? encodeURIComponent(value) : value;
  });
}

/**
 * One call to the SMS provider (docs/config.md#mfa): the endpoint's url, body and header values
 * with the user's activation parameters and `code` substituted. Single mode: values of the user's
 * parameters may themselves hold `{{ code }}` (a message text), replaced first.
 * Resolves to whether the provider answered 2xx; a network failure or timeout is 503.
 */
export async function callSmsProvider(config: Readonly<Config>, logger: Logger, which: 'single' | 'challenge' | 'verify', vars: Record<string, string>): Promise<boolean> {
  const endpoint: Endpoint = config.mfa.sms.endpoints[which];
  const code = vars['code'];
  const filled = code === undefined ? vars : Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, substitute(v, { code }, false)]));
  const headers = Object.fromEntries(Object.entries(endpoint.headers).map(([k, v]) => [k, substitute(v, filled, false)]));
  let res: Response;
  try {
    res = await fetch(substitute(endpoint.url, filled, true), {
      method: endpoint.method,
      headers,
      ...(endpoint.method === 'POST' ? { body: substitute(endpoint.body, filled, false) } : {}),
      signal: AbortSignal.timeout(config.mfa.sms.timeoutMs),
      redirect: 'error',
    });
    await res.arrayBuffer();
  } catch (err) {
    // Not the URL or the error text: both may hold the provider's credentials or the code.
    logger.warn({ component: 'mfa', endpoint: which, errName: err instanceof Error ? err.name : typeof err }, 'SMS provider unreachable');
    throw errors.apiUnavailable('The SMS provider');
  }
  if (res.status >= 500) {
    logger.warn({ component: 'mfa', endpoint: which, status: res.status }, 'SMS provider failed');
    throw errors.apiUnavailable('The SMS provider');
  }
  return res.ok;
}
