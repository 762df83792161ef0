import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { withReadTokens } from './attachments.js';
import { isSystemStreamId } from '../../domain/system-streams.js';
import { getOneAccountEvent } from './account-events.js';

export default defineMethod({
  id: 'events.getOne',
  auth: 'access',
  params: Type.Object({
    id: Type.String({ minLength: 1 }),
    includeHistory: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  async handler(ctx, p) {
    if (isSystemStreamId(p.id)) return getOneAccountEvent(ctx, p.id, p.includeHistory === true);
    const { user, logic } = await loadScope(ctx);
    const stored = await ctx.services.stores.events.get(user.id, p.id);
    if (stored === null) throw errors.unknownResource('event', p.id);
    const event = withReadTokens(ctx, stored);
    if (!event.streamIds.some((s) => logic.canReadEvents(s))) throw forbidden(`Reading event "${p.id}" is forbidden.`);
    if (p.includeHistory !== true) return { event };
    // Past versions kept per config `versioning` (oldest first, under the event's id); none when off.
    const history = await ctx.services.stores.events.history(user.id, p.id);
    return { event, history: history.map((v) => withReadTokens(ctx, v)) };
  },
});
