import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { loadManagedWebhook } from './shared.js';

/** Pryv API §3 `webhooks.delete`: its pending delivery goes with it. */
export default defineMethod({
  id: 'webhooks.delete',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user } = await loadManagedWebhook(ctx, p.id);
    if (!(await ctx.services.stores.webhooks.delete(user.id, p.id))) throw errors.unknownResource('webhook', p.id);
    return { webhookDeletion: { id: p.id, deleted: nowSeconds() } };
  },
});
