import { beforeAll, describe, expect, it } from 'vitest';
import { DuplicateKeyError } from '../../src/storage/interfaces/errors.js';
import type { StoredWebhook } from '../../src/storage/interfaces/webhooks-store.js';
import { engines } from './engines.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { freshStores, user } from './items.js';

/**
 * WebhooksStore against every engine: the webhooks themselves, and the delivery queue (Pryv API
 * §3.5): coalesced messages per webhook, due times after the minimum interval, leases that one
 * claimer holds at a time, release after a call, runs and retries.
 */
const U = 'user-w';
const NAME = 'userw';

function webhook(id: string, extra: Partial<StoredWebhook> = {}): StoredWebhook {
  return {
    id, accessId: 'acc', url: `https://hooks.example/${id}`, secretSealed: 'sealed', state: 'active', scopes: null, runCount: 0,
    failCount: 0, currentRetries: 0, maxRetries: 3, minIntervalMs: 0, runs: [], lastRun: { status: 0, timestamp: 0 },
    created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...extra,
  };
}

/** Webhooks belong to an access: the ones these tests name, for both users. */
async function createAccesses(stores: Stores): Promise<void> {
  for (const userId of [U, 'user-w2']) {
    for (const id of ['acc', 'other', 'par']) {
      await stores.accesses.create(userId, {
        id, tokenHash: `${userId}-${id}`, tokenSealed: 's', type: 'app', name: id, deviceName: null, permissions: [], expires: null,
        lastUsed: null, calls: {}, clientData: null, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', deleted: null,
      });
    }
  }
}

describe.each(engines)('webhooks store: $name', (fixture) => {
  const s = freshStores(fixture, [user(U, { username: NAME }), user('user-w2', { username: 'userwtwo' })]);
  beforeAll(() => createAccesses(s.get()));

  it('create, get, list (oldest first, per access), count; a url is unique per access', async () => {
    const stores = s.get();
    await stores.webhooks.create(U, webhook('w2', { created: 2, scopes: { a: { kind: 'streams' } } }));
    await stores.webhooks.create(U, webhook('w1', { created: 1 }));
    await stores.webhooks.create(U, webhook('w3', { created: 3, accessId: 'other' }));
    expect(await stores.webhooks.get(U, 'w2')).toEqual(webhook('w2', { created: 2, scopes: { a: { kind: 'streams' } } }));
    expect((await stores.webhooks.list(U)).map((w) => w.id)).toEqual(['w1', 'w2', 'w3']);
    expect((await stores.webhooks.list(U, 'acc')).map((w) => w.id)).toEqual(['w1', 'w2']);
    expect(await stores.webhooks.countForAccess(U, 'acc')).toBe(2);
    const dup = await stores.webhooks.create(U, webhook('w4', { url: 'https://hooks.example/w1' })).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(DuplicateKeyError);
    expect((dup as DuplicateKeyError).key).toBe('url');
    await stores.webhooks.create(U, webhook('w5', { url: 'https://hooks.example/w1', accessId: 'other', created: 5 }));
    expect(await stores.webhooks.get('user-w2', 'w1')).toBeNull();
  });

  it('update sets what is given (scopes: null clears them); delete and deleteForAccesses', async () => {
    const stores = s.get();
    const off = await stores.webhooks.update(U, 'w2', { state: 'inactive', currentRetries: 2, modified: 9, modifiedBy: 'b' });
    expect(off).toMatchObject({ state: 'inactive', currentRetries: 2, scopes: { a: { kind: 'streams' } }, modified: 9, modifiedBy: 'b' });
    expect((await stores.webhooks.update(U, 'w2', { scopes: null, state: 'active', currentRetries: 0, modified: 10, modifiedBy: 'b' }))?.scopes).toBeNull();
    expect(await stores.webhooks.update(U, 'nope', { modified: 1, modifiedBy: 'b' })).toBeNull();
    expect(await stores.webhooks.delete(U, 'w3')).toBe(true);
    expect(await stores.webhooks.delete(U, 'w3')).toBe(false);
    expect(await stores.webhooks.deleteForAccesses(U, ['other', 'none'])).toBe(1);
    expect((await stores.webhooks.list(U)).map((w) => w.id)).toEqual(['w1', 'w2']);
  });
});

describe.each(engines)('webhooks delivery queue: $name', (fixture) => {
  const s = freshStores(fixture, [user(U, { username: NAME }), user('user-w2', { username: 'userwtwo' })]);
  beforeAll(() => createAccesses(s.get()));

  it('enqueue: active webhooks of the user whose scopes take the kind; messages coalesce in order', async () => {
    const stores = s.get();
    await stores.webhooks.create(U, webhook('all'));
    await stores.webhooks.create(U, webhook('streams-only', { scopes: { s: { kind: 'streams' } } }));
    await stores.webhooks.create(U, webhook('events-default', { scopes: { e: { query: { streams: ['x'] } } } }));
    await stores.webhooks.create(U, webhook('off', { state: 'inactive' }));
    await stores.webhooks.create('user-w2', webhook('theirs'));
    const one = async (username: string, message: string, scopeKind: string | null): Promise<number[]> =>
      stores.webhooks.enqueueChanges([{ username, message, scopeKind }], 100);
    expect(await one(NAME, 'eventsChanged', 'events')).toEqual([2]);
    expect(await one(NAME, 'streamsChanged', 'streams')).toEqual([2]);
    expect(await one(NAME, 'eventsChanged', null)).toEqual([3]);
    expect(await one('nobody', 'eventsChanged', null)).toEqual([0]);
    expect((await stores.webhooks.withScopeQueries(NAME, 'events')).map((r) => [r.userId, r.webhook.id])).toEqual([[U, 'events-default']]);
    expect(await stores.webhooks.withScopeQueries(NAME, 'streams')).toEqual([]);
    const claimed = await stores.webhooks.claimDue(100, 130, 10, 'c1');
    const byId = Object.fromEntries(claimed.map((d) => [d.webhook.id, d.messages]));
    expect(byId).toEqual({
      all: ['eventsChanged', 'streamsChanged'],
      'streams-only': ['streamsChanged', 'eventsChanged'],
      'events-default': ['eventsChanged'],
    });
    expect(claimed.every((d) => d.userId === U && d.claim === 'c1')).toBe(true);
    for (const d of claimed) await stores.webhooks.release(d.userId, d.webhook.id, d.claim, { kind: 'sent', dueAt: 100 });
    expect(await stores.webhooks.nextDue(100)).toBeNull();
  });

  it('a lease keeps others off; messages arriving meanwhile wait; sent, retry and drop releases', async () => {
    const stores = s.get();
    await stores.webhooks.enqueueFor(U, 'all', ['m1'], 200);
    expect(await stores.webhooks.nextDue(200)).toBe(200);
    expect(await stores.webhooks.claimDue(199, 230, 10, 'early')).toEqual([]);
    const [first] = await stores.webhooks.claimDue(200, 230, 10, 'c2');
    expect(first?.messages).toEqual(['m1']);
    expect(await stores.webhooks.claimDue(210, 240, 10, 'other')).toEqual([]);
    expect(await stores.webhooks.nextDue(210)).toBeNull();
    await stores.webhooks.enqueueFor(U, 'all', ['m2'], 210);
    // Released by a claimer that lost its lease: no-op.
    await stores.webhooks.release(U, 'all', 'other', { kind: 'drop' });
    // Sent: m2, which came meanwhile, waits until dueAt.
    await stores.webhooks.release(U, 'all', 'c2', { kind: 'sent', dueAt: 250 });
    expect(await stores.webhooks.nextDue(240)).toBe(250);
    const [second] = await stores.webhooks.claimDue(250, 280, 10, 'c3');
    expect(second?.messages).toEqual(['m2']);
    // Retry: the claimed messages go back, merged with new ones.
    await stores.webhooks.enqueueFor(U, 'all', ['m3', 'm2'], 255);
    await stores.webhooks.release(U, 'all', 'c3', { kind: 'retry', dueAt: 300 });
    const [third] = await stores.webhooks.claimDue(300, 330, 10, 'c4');
    expect([...(third?.messages ?? [])].sort()).toEqual(['m2', 'm3']);
    await stores.webhooks.release(U, 'all', 'c4', { kind: 'drop' });
    expect(await stores.webhooks.nextDue(1000)).toBeNull();
  });

  it('an expired lease (its claimer died) gives the messages to the next claimer', async () => {
    const stores = s.get();
    await stores.webhooks.enqueueFor(U, 'all', ['lost'], 400);
    expect((await stores.webhooks.claimDue(400, 410, 10, 'dies')).map((d) => d.messages)).toEqual([['lost']]);
    const [again] = await stores.webhooks.claimDue(411, 440, 10, 'next');
    expect(again?.messages).toEqual(['lost']);
    await stores.webhooks.release(U, 'all', 'next', { kind: 'sent', dueAt: 440 });
    expect(await stores.webhooks.nextDue(1000)).toBeNull();
  });

  it('due times wait for the minimum interval after the last call; inactive webhooks get nothing', async () => {
    const stores = s.get();
    await stores.webhooks.create(U, webhook('slow', { minIntervalMs: 60_000, lastRun: { status: 200, timestamp: 500 } }));
    await stores.webhooks.enqueueFor(U, 'slow', ['x'], 510);
    expect(await stores.webhooks.nextDue(510)).toBe(560);
    expect(await stores.webhooks.claimDue(559, 600, 10, 'c')).toEqual([]);
    expect((await stores.webhooks.claimDue(560, 600, 10, 'c')).map((d) => d.webhook.id)).toEqual(['slow']);
    await stores.webhooks.release(U, 'slow', 'c', { kind: 'sent', dueAt: 600 });
    await stores.webhooks.enqueueFor(U, 'off', ['x'], 600);
    expect(await stores.webhooks.nextDue(1000)).toBeNull();
  });

  it('concurrent claimers: each delivery goes to one of them', async () => {
    const stores = s.get();
    for (let i = 0; i < 12; i += 1) await stores.webhooks.create(U, webhook(`p${i}`, { accessId: 'par' }));
    for (let i = 0; i < 12; i += 1) await stores.webhooks.enqueueFor(U, `p${i}`, ['go'], 700);
    const claims = await Promise.all(Array.from({ length: 4 }, (_, c) => stores.webhooks.claimDue(700, 800, 5, `claimer-${c}`)));
    const ids = claims.flat().map((d) => d.webhook.id);
    expect(ids.length).toBe(12);
    expect(new Set(ids).size).toBe(12);
    for (const d of claims.flat()) await stores.webhooks.release(d.userId, d.webhook.id, d.claim, { kind: 'drop' });
  });

  it('recordRun: runs newest first up to runsSize; failures count up to maxRetries, then inactive; success resets', async () => {
    const stores = s.get();
    await stores.webhooks.create(U, webhook('r', { maxRetries: 2 }));
    expect(await stores.webhooks.recordRun(U, 'r', { status: 500, timestamp: 1 }, false, 2)).toMatchObject({ runCount: 1, failCount: 1, currentRetries: 1, state: 'active' });
    expect(await stores.webhooks.recordRun(U, 'r', { status: 200, timestamp: 2 }, true, 2)).toMatchObject({ runCount: 2, failCount: 1, currentRetries: 0, state: 'active' });
    await stores.webhooks.recordRun(U, 'r', { status: 0, timestamp: 3 }, false, 2);
    const off = await stores.webhooks.recordRun(U, 'r', { status: 502, timestamp: 4 }, false, 2);
    expect(off).toMatchObject({ runCount: 4, failCount: 3, currentRetries: 2, state: 'inactive', lastRun: { status: 502, timestamp: 4 } });
    expect(off?.runs).toEqual([{ status: 502, timestamp: 4 }, { status: 0, timestamp: 3 }]);
    expect(await stores.webhooks.recordRun(U, 'gone', { status: 200, timestamp: 5 }, true, 2)).toBeNull();
  });

  it('enqueueBoot: once per active webhook within the dedup window', async () => {
    const stores = s.get();
    const active = (await stores.webhooks.list(U)).filter((w) => w.state === 'active').length + (await stores.webhooks.list('user-w2')).length;
    expect(await stores.webhooks.enqueueBoot('webhooksServiceBoot', 1000, 30)).toBe(active);
    expect(await stores.webhooks.enqueueBoot('webhooksServiceBoot', 1010, 30)).toBe(0);
    const claimed = await stores.webhooks.claimDue(1010, 1100, 100, 'boot');
    expect(claimed).toHaveLength(active);
    expect(claimed.every((d) => d.messages.includes('webhooksServiceBoot'))).toBe(true);
    expect(await stores.webhooks.enqueueBoot('webhooksServiceBoot', 1041, 30)).toBe(active);
  });
});

describe.each(engines)('webhooks batched enqueue: $name', (fixture) => {
  const s = freshStores(fixture, [user(U, { username: NAME }), user('user-w2', { username: 'userwtwo' })]);
  beforeAll(() => createAccesses(s.get()));

  it('enqueueChanges: many changes in one call count per change, keep their order, and coalesce per webhook', async () => {
    const stores = s.get();
    await stores.webhooks.create(U, webhook('batch', { accessId: 'par' }));
    await stores.webhooks.create('user-w2', webhook('batch2', { accessId: 'par', scopes: { s: { kind: 'streams' } } }));
    const counts = await stores.webhooks.enqueueChanges([
      { username: NAME, message: 'streamsChanged', scopeKind: 'streams' },
      { username: 'userwtwo', message: 'eventsChanged', scopeKind: 'events' },
      { username: 'nobody', message: 'eventsChanged', scopeKind: 'events' },
      { username: NAME, message: 'eventsChanged', scopeKind: 'events' },
      { username: 'userwtwo', message: 'streamsChanged', scopeKind: 'streams' },
      { username: NAME, message: 'streamsChanged', scopeKind: 'streams' },
    ], 150);
    expect(counts).toEqual([1, 0, 0, 1, 1, 1]);
    expect(await stores.webhooks.enqueueChanges([], 150)).toEqual([]);
    const claimed = await stores.webhooks.claimDue(150, 180, 10, 'c-batch');
    expect(Object.fromEntries(claimed.map((d) => [d.webhook.id, d.messages]))).toEqual({
      batch: ['streamsChanged', 'eventsChanged'],
      batch2: ['streamsChanged'],
    });
    for (const d of claimed) await stores.webhooks.release(d.userId, d.webhook.id, d.claim, { kind: 'sent', dueAt: 150 });
  });
});
