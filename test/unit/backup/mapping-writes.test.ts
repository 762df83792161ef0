import { describe, expect, it } from 'vitest';
import { MappingWrites } from '../../../src/backup/mapping-writes.js';
import { createLogger } from '../../../src/logging/logger.js';
import { RqliteClient } from '../../../src/platform/rqlite-client.js';
import { freePort } from '../../helpers/free-port.js';

const mapping = (i: number) => ({ username: `user${i}`, coreId: 'old', createdAt: 0, fields: { email: `u${i}@example.com` } });

describe('MappingWrites', () => {
  it('a failed batch fails done() and stops the next add(): a restore never ends with mappings silently missing', async () => {
    // Nothing listens: every rqlite call fails (connection refused), with no retry budget.
    const client = new RqliteClient({ url: `http://127.0.0.1:${await freePort()}`, requestTimeoutMs: 200, retryBudgetMs: 0, logger: createLogger({ level: 'silent', role: 'test' }) });
    const writes = new MappingWrites(client, 'core', 2);
    writes.add(mapping(1));
    writes.add(mapping(2)); // a full batch: written behind the caller
    await expect(writes.done()).rejects.toThrow();
    expect(() => writes.add(mapping(3))).toThrow();
    await client.close();
  });

  it('with nothing queued, done() writes nothing and resolves', async () => {
    const client = new RqliteClient({ url: `http://127.0.0.1:${await freePort()}`, requestTimeoutMs: 200, retryBudgetMs: 0, logger: createLogger({ level: 'silent', role: 'test' }) });
    const writes = new MappingWrites(client, 'core', 100);
    await expect(writes.done()).resolves.toBeUndefined();
    expect(writes.refused).toEqual([]);
    await client.close();
  });
});
