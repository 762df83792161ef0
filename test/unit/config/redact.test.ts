import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { redactConfig } from '../../../src/config/redact.js';

describe('redactConfig', () => {
  const config = loadConfig({ env: { HOMECORE_STORAGES__POSTGRESQL__PASSWORD: 's3cret-pw' } });

  it('hides passwords and keeps everything else printable', () => {
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('s3cret-pw');
    const out = redactConfig(config) as { storages: { postgresql: Record<string, unknown> }; http: { apiPort: number } };
    expect(out.storages.postgresql['password']).toBe('[redacted]');
    expect(out.storages.postgresql['host']).toBe('127.0.0.1');
    expect(out.storages.postgresql['port']).toBe(5433);
    expect(out.http.apiPort).toBe(3000);
  });

  it('does not touch the (frozen) config itself', () => {
    redactConfig(config);
    expect(config.storages.postgresql.password).toBe('s3cret-pw');
  });

  it('leaves an empty secret visible as empty (so a missing secret shows up)', () => {
    const empty = loadConfig({ env: { HOMECORE_STORAGES__POSTGRESQL__PASSWORD: "''" } });
    const out = redactConfig(empty) as { storages: { postgresql: Record<string, unknown> } };
    expect(out.storages.postgresql['password']).toBe('');
  });
});

describe('redactConfig URL credentials', () => {
  it('hides user:password in connection URLs', async () => {
    const { loadConfig } = await import('../../../src/config/index.js');
    const { redactConfig } = await import('../../../src/config/redact.js');
    const config = loadConfig({ env: { HOMECORE_STORAGES__MONGODB__URL: 'mongodb://app:s3cret@db.example:27017/x' } });
    const out = JSON.stringify(redactConfig(config));
    expect(out).not.toContain('s3cret');
    expect(out).toContain('mongodb://[redacted]@db.example:27017/x');
  });
});

describe('redactConfig mail and MFA secrets', () => {
  it('hides the SMTP password and every SMS provider header value', () => {
    const config = loadConfig({
      env: {
        HOMECORE_MAIL__SMTP__AUTH: '{"user":"mailer","password":"smtp-pass-123"}',
        HOMECORE_MFA__SMS__ENDPOINTS__SINGLE__HEADERS: '{"authorization":"Bearer sms-key-456","x-api-key":"other-789"}',
      },
    });
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['smtp-pass-123', 'sms-key-456', 'other-789']) expect(printed).not.toContain(secret);
    const out = redactConfig(config) as { mail: { smtp: { auth: Record<string, string> } }; mfa: { sms: { endpoints: { single: { headers: Record<string, string> } } } } };
    expect(out.mail.smtp.auth).toEqual({ user: 'mailer', password: '[redacted]' });
    expect(out.mfa.sms.endpoints.single.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]' });
  });
});

describe('mail and MFA config rules', () => {
  it.each([
    [{ HOMECORE_MFA__ENABLED: 'true', HOMECORE_MFA__TOTP__ENABLED: 'false' }, 'mfa.enabled: needs mfa.totp.enabled or mfa.sms.enabled'],
    [{ HOMECORE_MFA__ENABLED: 'true', HOMECORE_MFA__DEFAULT_METHOD: 'sms' }, 'mfa.defaultMethod: sms is not enabled'],
    [{ HOMECORE_MFA__SMS__ENABLED: 'true' }, 'mfa.sms.endpoints.single.url: an http(s) URL is required'],
    [{ HOMECORE_MFA__SMS__ENABLED: 'true', HOMECORE_MFA__SMS__MODE: 'challenge-verify' }, 'mfa.sms.endpoints.verify.url'],
    [{ HOMECORE_MAIL__SMTP__SECURE: 'true', HOMECORE_MAIL__SMTP__REQUIRE_TLS: 'true' }, 'mail.smtp.requireTls'],
    [{ HOMECORE_MAIL__FROM__ADDRESS: 'not an address' }, 'mail.from.address: must match pattern'],
    [{ HOMECORE_MAIL__SMTP__PORT: '0' }, 'mail.smtp.port: must be >= 1'],
  ])('refuses %o', (env, problem) => {
    expect(() => loadConfig({ env })).toThrow(problem);
  });
});
