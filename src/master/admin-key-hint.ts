import { join } from 'node:path';
import type { Config } from '../config/index.js';

export interface AdminKeyHint {
  /** Where the key is: a file path, or the configuration key that holds it. */
  adminKey: string;
  /** A command an operator can paste; it reads the key, it never contains it. */
  example: string;
  message: string;
}

/**
 * Printed once by the master at start (issue #16): where the admin key is and how to use it. The
 * key is the whole `Authorization` header value of the admin routes (src/http/system-routes.ts);
 * the key itself is never printed.
 */
export function adminKeyHint(config: Readonly<Config>): AdminKeyHint {
  const host = ['0.0.0.0', '::', ''].includes(config.http.bindAddress) ? '127.0.0.1' : config.http.bindAddress;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.apiPort}/system/admin/cores`;
  if (config.auth.adminAccessKey !== null) {
    const example = `curl -H "Authorization: <auth.adminAccessKey>" ${url}`;
    return { adminKey: 'auth.adminAccessKey (configuration)', example, message: `admin key: auth.adminAccessKey from the configuration, sent as the whole Authorization header: ${example}` };
  }
  const file = join(config.paths.varDir, 'secrets', 'admin-access-key');
  const example = `curl -H "Authorization: $(cat ${file})" ${url}`;
  return { adminKey: file, example, message: `admin key in ${file}, sent as the whole Authorization header: ${example}` };
}
