import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp } from '../helpers/api-app.js';
import { startReceiver, waitFor, type Receiver } from '../helpers/webhook-receiver.js';
import type { ChangeMessage } from '../../src/notifications/messages.js';

/**
 * Changes reach the webhooks queue in batches (src/webhooks/change-enqueue.ts, issue #10): one
 * enqueue statement in flight at a time, the changes arriving meanwhile in the next one, in order,
 * none left out. Through the storage interface only, so it holds on every engine.
 */
let t: ApiTestApp;
let receiver: Receiver;

beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_WEBHOOKS__MIN_INTERVAL_MS: '300', HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

describe('webhook queueing in batches', () => {
  it('sends changes made together in two statements, keeps their order, and loses none', async () => {
    const u = await t.createUser();
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }] });
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/webhooks`, headers: { authorization: app.token }, payload: { url: receiver.url } });
    expect(res.statusCode, res.body).toBe(201);

    const queue = t.services.webhookQueue;
    const [queued, batches] = [queue.queued, queue.batches];
    const change = (username: string, kind: ChangeMessage['change']): ChangeMessage => ({ username, change: kind });
    // The first goes out at once; the six made while it runs wait and go together.
    for (const m of [
      change(u.username, 'eventsChanged'), change(u.username, 'streamsChanged'), change('nobody-here', 'eventsChanged'),
      change(u.username, 'eventsChanged'), change(u.username, 'accessesChanged'), change('nobody-here', 'streamsChanged'),
      change(u.username, 'streamsChanged'),
    ]) queue.changed(m);
    expect(queue.depth).toBe(7);
    await waitFor('the queue to empty', () => queue.depth === 0);
    expect(queue.queued - queued).toBe(7);
    expect(queue.batches - batches).toBe(2);

    // Whether the delivery loop took the first batch alone or both together, the webhook hears each
    // change name once per call, in the order the changes were made.
    await waitFor('every change name', () => new Set(receiver.calls.flatMap((c) => c.messages)).size === 3);
    const heard = receiver.calls.flatMap((c) => c.messages).filter((m, i, all) => all.indexOf(m) === i);
    expect(heard).toEqual(['eventsChanged', 'streamsChanged', 'accessesChanged']);
    expect(receiver.calls.every((c) => new Set(c.messages).size === c.messages.length)).toBe(true);
  });

  it('queues no write of a user without an active webhook, and every write once one is created', async () => {
    const u = await t.createUser();
    const queue = t.services.webhookQueue;
    const create = async (): Promise<void> => {
      const res = await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: { authorization: u.token }, payload: { streamIds: ['diary'], type: 'note/txt', content: 'x' } });
      expect(res.statusCode, res.body).toBe(201);
    };
    await t.app.inject({ method: 'POST', url: `/${u.username}/streams`, headers: { authorization: u.token }, payload: { id: 'diary', name: 'Diary' } });
    await waitFor('the queue to empty', () => queue.depth === 0);
    // The user lookup says whether the user has an active webhook (issue #10): none, nothing queued.
    // Engines whose lookup does not say (getCaller absent) queue every write, as before.
    const tells = t.services.stores.users.getCaller !== undefined;
    let before = queue.queued;
    await create();
    expect(queue.queued - before).toBe(tells ? 0 : 1);

    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }] });
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/webhooks`, headers: { authorization: app.token }, payload: { url: receiver.url } });
    expect(res.statusCode, res.body).toBe(201);
    await waitFor('the queue to empty', () => queue.depth === 0);
    before = queue.queued;
    const heard = receiver.calls.length;
    await create();
    expect(queue.queued - before).toBe(1);
    await waitFor('the webhook call', () => receiver.calls.slice(heard).some((c) => c.messages.includes('eventsChanged')));
  });
});
