import { Type } from '@sinclair/typebox';
import { baseAccessId } from '../../domain/access-ids.js';
import { defineMethod } from '../method.js';
import { caller, toApiWebhook } from './shared.js';

/** Pryv API §3 `webhooks.get`: P lists every webhook of the user, A and S those they created. */
export default defineMethod({
  id: 'webhooks.get',
  auth: 'access',
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const { user, access } = caller(ctx);
    const list = await ctx.services.stores.webhooks.list(user.id, access.type === 'personal' ? undefined : baseAccessId(access.id));
    return { webhooks: list.map(toApiWebhook) };
  },
});
