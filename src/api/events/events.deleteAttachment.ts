import { Type } from '@sinclair/typebox';
import type { Event } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { removeFiles, withReadTokens } from './attachments.js';

/** Removes one attached file; the event, updated, is the result (Pryv API §3). Same rights as events.update. */
export default defineMethod({
  id: 'events.deleteAttachment',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }), fileId: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, logic } = await loadScope(ctx);
    const store = ctx.services.stores.events;
    const current = await store.get(user.id, p.id);
    if (current === null) throw errors.unknownResource('event', p.id);
    if (!current.streamIds.some((s) => logic.canUpdateEvents(s))) throw forbidden(`Updating event "${p.id}" is forbidden.`);
    const file = current.attachments?.find((a) => a.id === p.fileId);
    if (file === undefined) throw errors.unknownResource('attachment', p.fileId);
    const rest = (current.attachments ?? []).filter((a) => a !== file);
    const event: Event = {
      ...current,
      attachments: rest.length > 0 ? rest : undefined,
      modified: nowSeconds(),
      modifiedBy: authorOf(ctx),
    };
    await store.replace(user.id, event);
    // After the row: a failure here leaves an orphan file, never an attachment without its file.
    await removeFiles(ctx, user.id, current.id, [file]);
    ctx.services.notifier.emit(user.username, 'eventsChanged');
    return { event: withReadTokens(ctx, event) };
  },
});
