import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { MappingWrites } from '../../src/backup/mapping-writes.js';
import { createLogger } from '../../src/logging/logger.js';
import { CoresRepository } from '../../src/platform/cores.js';
import { migratePlatform } from '../../src/platform/migrate.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { restoreMapping, restoreMappings, type UserMapping } from '../../src/platform/user-mappings.js';

/**
 * A restore's platform mappings (issue #12), written in batches against the real rqlited: each
 * accepted user points at the restoring core with its unique fields; a user whose unique value
 * belongs to another username, or to a user earlier in the batch, is refused and nothing of it is written.
 */
const logger = createLogger({ level: 'silent', role: 'test' });
const tag = randomBytes(3).toString('hex');
const CORE = `core-mappings-${tag}`;
const ELSEWHERE = `elsewhere-${tag}`;
let rq: RqliteClient;

const mapping = (name: string, email: string): UserMapping => ({ username: `${name}${tag}`, coreId: 'old-core', createdAt: 1_700_000_000_000, fields: { email: `${email}-${tag}@example.com` } });

beforeAll(async () => {
  rq = new RqliteClient({ url: inject('services').rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 5000, logger });
  await migratePlatform(rq, { owner: `mappings-${process.pid}`, logger });
  const cores = new CoresRepository(rq);
  await cores.upsert({ id: CORE, url: 'http://127.0.0.1:1/', hosting: `h-${tag}`, available: true });
  await cores.upsert({ id: ELSEWHERE, url: 'http://127.0.0.1:2/', hosting: `h-${tag}`, available: true });
});

afterAll(async () => {
  await rq.execute([
    ['DELETE FROM unique_fields WHERE username LIKE ?', `%${tag}`],
    ['DELETE FROM users WHERE username LIKE ?', `%${tag}`],
    ['DELETE FROM cores WHERE id IN (?, ?)', CORE, ELSEWHERE],
  ], { idempotent: true });
  await rq.close();
});

async function rowsOf(username: string): Promise<{ core: unknown[]; fields: unknown[] }> {
  const [users, fields] = await rq.query([
    ['SELECT core_id, pending FROM users WHERE username = ?', username],
    ['SELECT field, value FROM unique_fields WHERE username = ?', username],
  ], 'linearizable');
  return { core: users?.rows ?? [], fields: fields?.rows ?? [] };
}

describe('restoreMappings', () => {
  it('maps a batch to this core, refusing users whose unique value belongs to another username or to an earlier user of the batch', async () => {
    const owner = mapping('owner', 'taken');
    expect(await restoreMapping(rq, ELSEWHERE, owner)).toBe(true);
    const batch = [mapping('alpha', 'alpha'), mapping('beta', 'taken'), mapping('gamma', 'shared'), mapping('delta', 'shared'), mapping('epsilon', 'epsilon')];

    const refused = await restoreMappings(rq, CORE, batch);

    expect(refused).toEqual([`beta${tag}`, `delta${tag}`]);
    for (const name of ['alpha', 'gamma', 'epsilon']) {
      const m = batch.find((b) => b.username === `${name}${tag}`);
      expect(await rowsOf(`${name}${tag}`)).toEqual({ core: [{ core_id: CORE, pending: 0 }], fields: [{ field: 'email', value: m?.fields['email'] }] });
    }
    for (const name of ['beta', 'delta']) expect(await rowsOf(`${name}${tag}`)).toEqual({ core: [], fields: [] });
    // The taken value still belongs to its owner, on its own core.
    expect(await rowsOf(owner.username)).toEqual({ core: [{ core_id: ELSEWHERE, pending: 0 }], fields: [{ field: 'email', value: owner.fields['email'] }] });
    const [count] = await rq.query([['SELECT user_count FROM cores WHERE id = ?', CORE]], 'linearizable');
    expect(count?.rows).toEqual([{ user_count: 3 }]);
  });

  // Follows the test before: its owner holds the taken value.
  it('restoreMapping of one user: false and nothing written when its value is taken', async () => {
    expect(await restoreMapping(rq, CORE, mapping('zeta', 'taken'))).toBe(false);
    expect(await rowsOf(`zeta${tag}`)).toEqual({ core: [], fields: [] });
    // A user already mapped (re-run of a restore) is pointed at this core again.
    expect(await restoreMapping(rq, CORE, mapping('owner', 'taken'))).toBe(true);
    expect((await rowsOf(`owner${tag}`)).core).toEqual([{ core_id: CORE, pending: 0 }]);
  });
});

describe('MappingWrites', () => {
  it("writes no mapping of a batch before its beforeBatch (the batch's data made durable) has resolved; a failed one writes none", async () => {
    let release: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const writes = new MappingWrites(rq, CORE, 2, async () => {
      calls += 1;
      await barrier;
    });
    writes.add(mapping('eta', 'eta'));
    writes.add(mapping('theta', 'theta')); // a full batch: its write starts behind the caller
    await vi.waitFor(() => expect(calls).toBe(1));
    // Time for a write that did not wait to land (one rqlite round trip is a few ms).
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowsOf(`eta${tag}`)).toEqual({ core: [], fields: [] });
    release();
    await writes.done();
    expect((await rowsOf(`eta${tag}`)).core).toEqual([{ core_id: CORE, pending: 0 }]);
    expect((await rowsOf(`theta${tag}`)).core).toEqual([{ core_id: CORE, pending: 0 }]);

    const failing = new MappingWrites(rq, CORE, 1, async () => {
      throw new Error('flush failed');
    });
    failing.add(mapping('iota', 'iota'));
    await expect(failing.done()).rejects.toThrow('flush failed');
    expect(await rowsOf(`iota${tag}`)).toEqual({ core: [], fields: [] });
  });
});
