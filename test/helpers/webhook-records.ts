import type { StoredWebhook } from '../../src/storage/interfaces/webhooks-store.js';
import type { ApiTestApp } from './api-app.js';

/**
 * Webhook set-up through the stores, whatever the engine: what the API does not let a client set
 * (minIntervalMs, maxRetries, lastRun), and clean-up between tests.
 */

/** Every webhook of every user of the test database goes, with its pending delivery. */
export async function deleteAllWebhooks(t: ApiTestApp): Promise<void> {
  const webhooks = t.services.stores.webhooks;
  for (const user of await t.services.stores.users.list()) {
    for (const w of await webhooks.list(user.id)) await webhooks.delete(user.id, w.id);
  }
}

/**
 * Rewrites a stored webhook with `fields` changed (deleted and created again under its id: the
 * store's update takes only what the API may change). Its pending delivery, if any, goes with it.
 */
export async function rewriteWebhook(t: ApiTestApp, userId: string, id: string, fields: Partial<Pick<StoredWebhook, 'minIntervalMs' | 'maxRetries' | 'lastRun'>>): Promise<void> {
  const webhooks = t.services.stores.webhooks;
  const w = await webhooks.get(userId, id);
  if (w === null) throw new Error(`webhook ${id} is gone`);
  await webhooks.delete(userId, id);
  await webhooks.create(userId, { ...w, ...fields });
}
