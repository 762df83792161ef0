import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { removeFiles, withReadTokens } from './attachments.js';
import { eventItem } from '../../notifications/messages.js';

/** Removes one attached file; the event, updated, is the result (Pryv API §3). Same rights as events.update. */
export default defineMethod({
  id: 'events.deleteAttachment',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }), fileId: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, logic } = await loadScope(ctx);
    // Atomic read-modify-write (issue #16): a concurrent add or delete of another file is kept.
    const updated = await ctx.services.stores.events.update(user.id, p.id, (current) => {
      if (!current.streamIds.some((s) => logic.canUpdateEvents(s))) throw forbidden(`Updating event "${p.id}" is forbidden.`);
      const file = current.attachments?.find((a) => a.id === p.fileId);
      if (file === undefined) throw errors.unknownResource('attachment', p.fileId);
      const rest = (current.attachments ?? []).filter((a) => a !== file);
      return { ...current, attachments: rest.length > 0 ? rest : undefined, modified: nowSeconds(), modifiedBy: authorOf(ctx) };
    });
    if (updated === null) throw errors.unknownResource('event', p.id);
    const removedFile = updated.before.attachments?.find((a) => a.id === p.fileId);
    // After the row: a failure here leaves an orphan file, never an attachment without its file.
    if (removedFile !== undefined) await removeFiles(ctx, user.id, p.id, [removedFile]);
    ctx.services.notifier.emit(user.username, 'eventsChanged', undefined, [eventItem(updated.after)], { webhooks: ctx.hasWebhooks });
    return { event: withReadTokens(ctx, updated.after) };
  },
});
