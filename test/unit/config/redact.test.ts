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
