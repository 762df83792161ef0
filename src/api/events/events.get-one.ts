import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { withReadTokens } from './attachments.js';

export default defineMethod({
  id: 'events.getOne',
  auth: 'access',
  params: Type.Object({
    id: Type.String({ minLength: 1 }),
    includeHistory: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, logic } = await loadScope(ctx);
    const stored = await ctx.services.stores.events.get(user.id, p.id);
    if (stored === null) throw errors.unknownResource('event', p.id);
    const event = withReadTokens(ctx, stored);
    if (!event.streamIds.some((s) => logic.canReadEvents(s))) throw forbidden(`Reading event "${p.id}" is forbidden.`);
    // No event history is kept: an empty one is the truthful answer.
    return p.includeHistory === true ? { event, history: [] } : { event };
  },
});
