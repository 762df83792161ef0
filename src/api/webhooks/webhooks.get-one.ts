import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { loadManagedWebhook, toApiWebhook } from './shared.js';

/** Pryv API §3 `webhooks.getOne`: unknown id → 404; a webhook of another access → 403 (P sees all). */
export default defineMethod({
  id: 'webhooks.getOne',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { webhook } = await loadManagedWebhook(ctx, p.id);
    return { webhook: toApiWebhook(webhook) };
  },
});
