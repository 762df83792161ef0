import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import type { Stream } from '../../src/domain/types.js';

/** Stores.transaction: writes through the bound stores commit together or not at all. */
let t: ApiTestApp;
let u: TestUser;
beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
});
afterAll(async () => {
  await t?.close();
});

const stream = (id: string, parentId: string | null = null): Stream => {
  const now = Date.now() / 1000;
  return { id, name: id, parentId, clientData: null, trashed: false, created: now, createdBy: 'test', modified: now, modifiedBy: 'test' };
};

describe('Stores.transaction', () => {
  it('commits every write of the callback', async () => {
    await t.services.stores.transaction(async (tx) => {
      await tx.streams.create(u.user.id, stream('tx-a'));
      await tx.streams.create(u.user.id, stream('tx-b', 'tx-a'));
    });
    const ids = (await t.services.stores.streams.all(u.user.id)).map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['tx-a', 'tx-b']));
  });

  it('rolls back every write, including a store method that is itself transactional, when the callback throws', async () => {
    await t.services.stores.streams.create(u.user.id, stream('keep-me'));
    await expect(
      t.services.stores.transaction(async (tx) => {
        await tx.streams.create(u.user.id, stream('tx-lost'));
        await tx.streams.delete(u.user.id, ['keep-me'], Date.now() / 1000);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const ids = (await t.services.stores.streams.all(u.user.id)).map((s) => s.id);
    expect(ids).toContain('keep-me');
    expect(ids).not.toContain('tx-lost');
    expect(await t.services.stores.streams.deletionsSince(u.user.id, 0)).toEqual([]);
  });
});
