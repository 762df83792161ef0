import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { adminKeyHint } from '../../../src/master/admin-key-hint.js';

describe('admin key hint printed at start', () => {
  it('names the key file and a command that reads it, the way the admin routes take it', () => {
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: '/srv/homecore/var', HOMECORE_HTTP__API_PORT: '3100' } });
    const hint = adminKeyHint(config);
    expect(hint.adminKey).toBe('/srv/homecore/var/secrets/admin-access-key');
    expect(hint.example).toBe('curl -H "Authorization: $(cat /srv/homecore/var/secrets/admin-access-key)" http://127.0.0.1:3100/system/admin/cores');
    expect(hint.message).toContain(hint.example);
  });

  it('a key set in the configuration is named, never printed; a wildcard bind address becomes loopback', () => {
    const key = 'configured-admin-key-0123456789';
    const config = loadConfig({ env: { HOMECORE_AUTH__ADMIN_ACCESS_KEY: key, HOMECORE_HTTP__BIND_ADDRESS: '0.0.0.0' } });
    const hint = adminKeyHint(config);
    expect(JSON.stringify(hint)).not.toContain(key);
    expect(hint.adminKey).toMatch(/auth\.adminAccessKey/);
    expect(hint.example).toBe('curl -H "Authorization: <auth.adminAccessKey>" http://127.0.0.1:3000/system/admin/cores');
  });
});
