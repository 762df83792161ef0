import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { removeEventFiles, withReadTokens } from './attachments.js';
import { eventItem } from '../../notifications/messages.js';
import { isSystemStreamId } from '../../domain/system-streams.js';
import { deleteAccountEvent } from './account-events-write.js';

/** First call trashes; on a trashed event, deletes it for good (Pryv API §3.2). */
export default defineMethod({
  id: 'events.delete',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    if (isSystemStreamId(p.id)) deleteAccountEvent(ctx, p.id);
    const { user, logic } = await loadScope(ctx);
    const store = ctx.services.stores.events;
    const current = await store.get(user.id, p.id);
    if (current === null) throw errors.unknownResource('event', p.id);
    if (!current.streamIds.some((s) => logic.canUpdateEvents(s))) throw forbidden(`Deleting event "${p.id}" is forbidden.`);
    const now = nowSeconds();
    if (!current.trashed) {
      // Atomic (issue #16): a concurrent events.update is neither lost nor undoes the trashing.
      const updated = await store.update(user.id, p.id, (e) => ({ ...e, trashed: true, modified: now, modifiedBy: authorOf(ctx) }));
      if (updated === null) throw errors.unknownResource('event', p.id);
      ctx.services.notifier.emit(user.username, 'eventsChanged', undefined, [eventItem(updated.after)], { webhooks: ctx.hasWebhooks });
      return { event: withReadTokens(ctx, updated.after) };
    }
    await store.delete(user.id, p.id, now);
    // After the row: a failure here leaves orphan files, never an event pointing at missing ones.
    if (current.attachments !== undefined && current.attachments.length > 0) await removeEventFiles(ctx, user.id, p.id);
    ctx.services.notifier.emit(user.username, 'eventsChanged', undefined, [eventItem(current)], { webhooks: ctx.hasWebhooks });
    return { eventDeletion: { id: p.id, deleted: now } };
  },
});
