import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { loadScope, rethrowDuplicate } from '../stream-scope.js';
import { EventIdSchema, WritableEventFields as F } from './event-schemas.js';
import { commitUploads, removeFiles, withReadTokens } from './attachments.js';
import { eventItem } from '../../notifications/messages.js';
import { createAccountEvent } from './account-events-write.js';
import { draftEvent } from './event-draft.js';

export default defineMethod({
  id: 'events.create',
  auth: 'access',
  successStatus: 201,
  params: Type.Object(
    {
      id: Type.Optional(EventIdSchema),
      streamIds: F.streamIds,
      type: F.type,
      time: Type.Optional(F.time),
      duration: Type.Optional(F.duration),
      content: Type.Optional(F.content),
      description: Type.Optional(F.description),
      clientData: Type.Optional(F.clientData),
      trashed: Type.Optional(F.trashed),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const account = await createAccountEvent(ctx, p);
    if (account !== null) return account;
    const scope = await loadScope(ctx);
    const { user } = scope;
    const draft = draftEvent(ctx, scope, p);
    const id = draft.id;
    // Multipart create (§3.2): the staged files move in place first; a failed insert takes them back.
    const attachments = await commitUploads(ctx, user.id, id);
    const event = attachments.length > 0 ? { ...draft, attachments } : draft;
    // The stored form: `integrity` added when config integrity.events is on.
    const stored = await ctx.services.stores.events.create(user.id, event).catch(async (err: unknown) => {
      await removeFiles(ctx, user.id, id, attachments);
      return rethrowDuplicate(err, { id });
    });
    ctx.services.notifier.emit(user.username, 'eventsChanged', undefined, [eventItem(stored)], { webhooks: ctx.hasWebhooks });
    return { event: withReadTokens(ctx, stored) };
  },
});
