import { describe, expect, it } from 'vitest';
import { AccessCache } from '../../../src/auth/access-cache.js';
import { createLogger } from '../../../src/logging/logger.js';
import type { AccessesStore } from '../../../src/storage/interfaces/accesses-store.js';

const unused = (): Promise<never> => Promise.reject(new Error('not used by the usage flush'));

/** A store whose recordUsage writes only when the test lets it: a slow database. */
function slowStore(): { store: AccessesStore; written: Record<string, number>[]; release: () => void } {
  const written: Record<string, number>[] = [];
  let open: () => void = () => undefined;
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const store: AccessesStore = {
    create: unused, findByTokenHash: unused, getById: unused, list: unused, findByName: unused, update: unused,
    updateVersioned: unused, history: unused, markDeleted: unused,
    async recordUsage(_userId, _id, _lastUsed, calls) {
      await gate;
      written.push(calls);
    },
  };
  const release = (): void => {
    open();
    gate = Promise.resolve();
  };
  return { store, written, release };
}

describe('AccessCache usage flush', () => {
  it('resolves only once a flush already writing has written too', async () => {
    const { store, written, release } = slowStore();
    const cache = new AccessCache(store, createLogger({ level: 'silent', role: 'test' }), 3_600_000);
    const ctx = { user: { id: 'u1' }, access: { id: 'a1:2' } };
    cache.recordCall(ctx, 'getAccessInfo');
    // A first flush (the timer's) took the pending usage and waits on the store.
    const first = cache.flush();
    let done = false;
    const second = cache.flush().then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(written).toEqual([{ getAccessInfo: 1 }]);
    cache.recordCall(ctx, 'events.get');
    await cache.close();
    expect(written).toEqual([{ getAccessInfo: 1 }, { 'events.get': 1 }]);
  });
});
