import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp } from '../helpers/api-app.js';
import { deleteAllWebhooks, rewriteWebhook } from '../helpers/webhook-records.js';
import { signatureIsValid, sleep, startReceiver, waitFor, type Receiver } from '../helpers/webhook-receiver.js';
import { startSecondWorker, type SecondWorker } from '../helpers/second-worker.js';
import { callOn, hook, newEvent, newStream, noPendingDelivery, pendingRows, stored, user as userOn } from '../helpers/webhook-ctx.js';

/**
 * Webhook delivery (Pryv API §3.5, issue #5) through real sockets: receivers are node:http servers on
 * 127.0.0.1, allow-listed (webhooks.allowedHosts) except in "refused destinations".
 */

const MIN_INTERVAL_MS = 1000;
const RETRY_BASE_MS = 150;
const ENV = {
  HOMECORE_WEBHOOKS__MIN_INTERVAL_MS: String(MIN_INTERVAL_MS),
  HOMECORE_WEBHOOKS__RETRY_BASE_DELAY_MS: String(RETRY_BASE_MS),
  HOMECORE_WEBHOOKS__MAX_RETRIES: '3',
  HOMECORE_WEBHOOKS__REQUEST_TIMEOUT_MS: '800',
};
const ALLOW_LOOPBACK = { HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' };

let t: ApiTestApp;
const receivers: Receiver[] = [];
beforeAll(async () => {
  t = await createApiTestApp({ ...ENV, ...ALLOW_LOOPBACK });
});
afterEach(async () => {
  // Each test's webhooks go, so a later app start (boot message) or change never calls them.
  await deleteAllWebhooks(t);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await t?.close();
});

const user = (a: ApiTestApp = t) => userOn(a);

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}


describe('delivery', () => {
  it('posts the change, signed with the secret of webhooks.create, and records the run', async () => {
    const r = await receiver();
    const c = await user();
    const h = await hook(c, r.url);
    await newEvent(c);
    const got = await waitFor('the call', () => r.calls[0]);
    expect(got.messages).toEqual(['eventsChanged']);
    expect(got.meta).toEqual({ apiVersion: expect.any(String), serverTime: expect.any(Number), serial: t.config.service.serial });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['homecore-webhook-id']).toBe(h.id);
    expect(signatureIsValid(h.secret, got.headers['homecore-signature'], got.body)).toBe(true);
    expect(signatureIsValid(h.secret, got.headers['homecore-signature'], got.body.replace('eventsChanged', 'streamsChanged'))).toBe(false);
    const w = await waitFor('the run', async () => ((await stored(c, h.id)).runCount === 1 ? stored(c, h.id) : undefined));
    expect(w).toMatchObject({ state: 'active', failCount: 0, currentRetries: 0, lastRun: { status: 200 } });
    expect(w.runs).toEqual([w.lastRun]);
    await noPendingDelivery(c, h.id);
  });

  it('batches the changes of one minIntervalMs into one call', async () => {
    const r = await receiver();
    const c = await user();
    const h = await hook(c, r.url);
    // A wide interval for this webhook: the three changes below must land inside it even on a loaded
    // machine (with 1 s, a batch call on FerretDB once ended after the second call had gone out).
    const interval = 3 * MIN_INTERVAL_MS;
    await rewriteWebhook(t, c.u.user.id, h.id, { minIntervalMs: interval });
    const eventId = await newEvent(c);
    await waitFor('the first call', () => r.calls[0]);
    const batchStart = Date.now();
    const batch = await callOn(c.a, c.u, c.u.token, 'POST', '/', [
      { method: 'events.create', params: { streamIds: ['diary'], type: 'note/txt', content: 'again' } },
      { method: 'streams.create', params: { name: `s-${Math.random()}`, parentId: 'diary' } },
      { method: 'events.update', params: { id: eventId, update: { content: 'changed' } } },
    ]);
    expect(batch.statusCode, batch.body).toBe(200);
    expect(batch.json().results.map((x: Record<string, unknown>) => Object.keys(x).filter((k) => k !== 'meta'))).toEqual([['event'], ['stream'], ['event']]);
    // Otherwise the claim cannot be checked: say so rather than fail on the machine's speed.
    expect(Date.now() - batchStart, 'the batch call outlasted the interval').toBeLessThan(interval - 200);
    const second = await waitFor('the second call', () => r.calls[1], interval + 5_000);
    expect(second.messages).toEqual(['eventsChanged', 'streamsChanged']);
    expect(second.at - (r.calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(interval - 10);
    await sleep(interval + 300);
    expect(r.calls).toHaveLength(2);
  });

  it('sends a scoped webhook the keys of the matching scopes, and nothing for other changes', async () => {
    const r = await receiver();
    const c = await user();
    await hook(c, r.url, { scopes: { tree: { kind: 'streams' }, alsoTree: { kind: 'streams', query: {} } } });
    await newEvent(c);
    await newStream(c);
    expect((await waitFor('the call', () => r.calls[0])).messages).toEqual(['tree', 'alsoTree']);
    await sleep(300);
    expect(r.calls).toHaveLength(1);
  });

  it('retries with growing delays, then turns the webhook inactive after maxRetries failures', async () => {
    const r = await receiver(() => 500);
    const c = await user();
    const h = await hook(c, r.url);
    // minIntervalMs below the backoff, so the gaps show the backoff alone.
    await rewriteWebhook(t, c.u.user.id, h.id, { minIntervalMs: 50 });
    await newEvent(c);
    const w = await waitFor('deactivation', async () => ((await stored(c, h.id)).state === 'inactive' ? stored(c, h.id) : undefined));
    expect(r.calls).toHaveLength(3);
    expect(w).toMatchObject({ runCount: 3, failCount: 3, currentRetries: 3, maxRetries: 3 });
    expect(w.runs.map((run) => run.status)).toEqual([500, 500, 500]);
    expect(r.calls.every((call) => call.messages.join() === 'eventsChanged')).toBe(true);
    const [a, b, d] = r.calls.map((call) => call.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(RETRY_BASE_MS - 10);
    expect(d - b).toBeGreaterThanOrEqual(2 * RETRY_BASE_MS - 10);
    await noPendingDelivery(c, h.id);
    // Inactive: changes are not queued.
    await newEvent(c);
    await sleep(400);
    expect(r.calls).toHaveLength(3);
    // Reactivated: a fresh retry budget and calls again.
    const on = await callOn(c.a, c.u, c.app.token, 'PUT', `/webhooks/${h.id}`, { state: 'active' });
    expect(on.json().webhook).toMatchObject({ state: 'active', currentRetries: 0 });
    await newEvent(c);
    await waitFor('a call after reactivation', () => r.calls[3]);
  });

  it('counts a call that gets no answer within requestTimeoutMs as a failure (status 0)', async () => {
    const r = await receiver(() => 'hang');
    const c = await user();
    const h = await hook(c, r.url);
    await newEvent(c);
    const w = await waitFor('the failed run', async () => ((await stored(c, h.id)).runCount >= 1 ? stored(c, h.id) : undefined), 5000);
    expect(w).toMatchObject({ failCount: 1, currentRetries: 1, lastRun: { status: 0 } });
    expect(r.calls.length).toBeGreaterThanOrEqual(1);
  });

  it('does not follow redirects: a 302 is a failure and its target is never called', async () => {
    const target = await receiver();
    const r = await receiver((_n, res) => {
      res.writeHead(302, { location: target.url });
      return 302;
    });
    const c = await user();
    const h = await hook(c, r.url);
    await newEvent(c);
    const w = await waitFor('the run', async () => ((await stored(c, h.id)).runCount >= 1 ? stored(c, h.id) : undefined));
    expect(w).toMatchObject({ failCount: 1, currentRetries: 1, lastRun: { status: 302 } });
    await sleep(300);
    expect(target.calls).toEqual([]);
  });

  it('sends a delivery once when two API workers run the loop on one database', async () => {
    const r = await receiver((_n, res) => {
      // Slow answer: the second loop has every chance to try the same delivery meanwhile.
      setTimeout(() => res.writeHead(200).end(), 300);
      return 'hang';
    });
    // Started before the webhook exists, so its boot message concerns nothing here.
    const other = await startSecondWorker(t, t.services.bus);
    try {
      const c = await user();
      const h = await hook(c, r.url);
      await newEvent(c);
      await waitFor('the call', () => r.calls[0]);
      await sleep(MIN_INTERVAL_MS + 500);
      expect(r.calls).toHaveLength(1);
      expect((await stored(c, h.id)).runCount).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('queueing', () => {
  it('queues each change once, in the worker that made it, though every worker hears it on the bus', async () => {
    const other = await startSecondWorker(t, t.services.bus);
    try {
      const c = await user();
      // A user with a webhook: the writes of users without one are not queued at all (issue #10).
      await hook(c, (await receiver()).url);
      const mine = t.services.webhookQueue.queued;
      const theirs = other.services.webhookQueue.queued;
      const heard: string[] = [];
      const stop = other.services.bus.subscribe((m) => heard.push(m.change));
      await newEvent(c);
      stop();
      expect(heard).toEqual(['eventsChanged']);
      expect(t.services.webhookQueue.queued - mine).toBe(1);
      expect(other.services.webhookQueue.queued).toBe(theirs);
    } finally {
      await other.close();
    }
  });
});

describe('durability', () => {
  it('keeps a retry sequence across a restart: the new app sends the pending delivery (with the boot message)', async () => {
    const tr = await createApiTestApp({ ...ENV, ...ALLOW_LOOPBACK });
    let restarted = false;
    const r = await receiver(() => (restarted ? 200 : 503));
    let next: SecondWorker | null = null;
    try {
      const c = await user(tr);
      const h = await hook(c, r.url);
      // A long retry budget: however slow this machine, the stop lands in the middle of the sequence.
      await rewriteWebhook(tr, c.u.user.id, h.id, { maxRetries: 100, minIntervalMs: 50 });
      await newEvent(c);
      await waitFor('a failed run', async () => (await stored(c, h.id)).currentRetries >= 1);
      await tr.app.close();
      const failures = r.calls.length;
      const pending = await pendingRows(c, h.id);
      expect(pending).toEqual([{ messages: ['eventsChanged'], sending: null }]);
      expect((await stored(c, h.id)).currentRetries).toBe(failures);
      await sleep(600);
      expect(r.calls).toHaveLength(failures);

      restarted = true;
      next = await startSecondWorker(tr);
      const sent = await waitFor('the delivery after restart', () => r.calls[failures]);
      // The pending change survived the restart; the boot message rides with it.
      expect([...sent.messages].sort()).toEqual(['eventsChanged', 'webhooksServiceBoot']);
      expect(signatureIsValid(h.secret, sent.headers['homecore-signature'], sent.body)).toBe(true);
      const w = await waitFor('the run', async () => ((await stored(c, h.id)).currentRetries === 0 ? stored(c, h.id) : undefined));
      expect(w).toMatchObject({ state: 'active', runCount: failures + 1, failCount: failures, lastRun: { status: 200 } });
      await noPendingDelivery(c, h.id);
    } finally {
      await next?.close();
      await tr.close();
    }
  });
});

describe('refused destinations', () => {
  it('refuses loopback, metadata and names resolving to loopback without an allow-list, at creation and at delivery', async () => {
    const tn = await createApiTestApp(ENV);
    const r = await receiver();
    try {
      const c = await user(tn);
      for (const url of [r.url, 'http://169.254.169.254/latest/meta-data/', `http://localhost:${r.port}/hook`]) {
        const res = await callOn(tn, c.u, c.app.token, 'POST', '/webhooks', { url });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error).toMatchObject({ id: 'invalid-parameters-format', data: [{ param: 'url', code: 'url-refused' }] });
      }
      // As if the allow-list had changed, or the name resolved elsewhere at creation (DNS rebinding):
      // the check at connection time still refuses, after resolution for the name.
      const now = Date.now() / 1000;
      const ids = ['abcdefghijklmnopqrstuvw1', 'abcdefghijklmnopqrstuvw2'];
      for (const [i, url] of [r.url, `http://localhost:${r.port}/hook`].entries()) {
        await tn.services.stores.webhooks.create(c.u.user.id, {
          id: ids[i] ?? '', accessId: c.app.id, url, secretSealed: tn.services.vault.encrypt('whsec_x'), state: 'active', scopes: null,
          runCount: 0, failCount: 0, currentRetries: 0, maxRetries: 3, minIntervalMs: 1000, runs: [], lastRun: { status: 0, timestamp: 0 },
          created: now, createdBy: c.app.id, modified: now, modifiedBy: c.app.id,
        });
      }
      await newEvent(c);
      for (const id of ids) {
        const w = await waitFor(`the run of ${id}`, async () => ((await stored(c, id)).runCount >= 1 ? stored(c, id) : undefined));
        expect(w).toMatchObject({ failCount: 1, lastRun: { status: 0 } });
      }
      expect(r.calls).toEqual([]);
    } finally {
      await tn.close();
    }
  });
});

describe('access deletion', () => {
  it('removes the webhooks of the deleted access and of the accesses it created, with their pending deliveries', async () => {
    const r = await receiver();
    const c = await user();
    const mine = await hook(c, r.url);
    const child = await callOn(t, c.u, c.app.token, 'POST', '/accesses', { name: 'child', permissions: [{ streamId: 'diary', level: 'read' }] });
    expect(child.statusCode).toBe(201);
    const childHook = await callOn(t, c.u, child.json().access.token, 'POST', '/webhooks', { url: r.url });
    expect(childHook.statusCode).toBe(201);
    const otherApp = await t.createAccess(c.u, { type: 'app', permissions: [{ streamId: 'diary', level: 'read' }] });
    const kept = (await callOn(t, c.u, otherApp.token, 'POST', '/webhooks', { url: r.url })).json().webhook;
    // A delivery waiting far ahead for the webhook of the deleted access.
    await rewriteWebhook(t, c.u.user.id, mine.id, { minIntervalMs: 600_000, lastRun: { status: 200, timestamp: Date.now() / 1000 } });
    await newEvent(c);
    await waitFor('the pending delivery', async () => (await pendingRows(c, mine.id)).length === 1);

    const del = await callOn(t, c.u, c.u.token, 'DELETE', `/accesses/${c.app.id}`);
    expect(del.statusCode).toBe(200);
    expect(del.json().relatedDeletions).toEqual([{ id: child.json().access.id }]);
    const left = (await callOn(t, c.u, c.u.token, 'GET', '/webhooks')).json().webhooks.map((w: { id: string }) => w.id);
    expect(left).toEqual([kept.id]);
    await noPendingDelivery(c, mine.id);
    expect(await t.services.stores.webhooks.get(c.u.user.id, childHook.json().webhook.id)).toBeNull();
  });
});
