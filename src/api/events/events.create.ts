import { Type } from '@sinclair/typebox';
import { newId } from '../../auth/crypto.js';
import { checkEventStreams, resolveContent, uniqueIds } from '../../domain/event-rules.js';
import type { Event } from '../../domain/types.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope, rethrowDuplicate } from '../stream-scope.js';
import { EventIdSchema, WritableEventFields as F } from './event-schemas.js';
import { commitUploads, removeFiles, withReadTokens } from './attachments.js';
import { eventItem } from '../../notifications/messages.js';
import { createAccountEvent } from './account-events-write.js';

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
    const { user, tree, logic } = await loadScope(ctx);
    const streamIds = uniqueIds(p.streamIds);
    checkEventStreams(tree, streamIds);
    const denied = streamIds.filter((s) => !logic.canCreateEvents(s));
    if (denied.length > 0) throw forbidden(`Creating events in ${denied.join(', ')} is forbidden.`, { streamIds: denied });
    const resolved = resolveContent(ctx.services.eventTypes, p.type, p.content);
    const now = nowSeconds();
    const author = authorOf(ctx);
    const id = p.id ?? newId();
    // Multipart create (§3.2): the staged files move in place first; a failed insert takes them back.
    const attachments = await commitUploads(ctx, user.id, id);
    const event: Event = {
      id,
      streamIds,
      type: p.type,
      time: p.time ?? now,
      duration: resolved.duration ?? p.duration,
      content: resolved.content,
      description: p.description,
      clientData: p.clientData,
      attachments: attachments.length > 0 ? attachments : undefined,
      trashed: p.trashed ?? false,
      created: now,
      createdBy: author,
      modified: now,
      modifiedBy: author,
    };
    // The stored form: `integrity` added when config integrity.events is on.
    const stored = await ctx.services.stores.events.create(user.id, event).catch(async (err: unknown) => {
      await removeFiles(ctx, user.id, id, attachments);
      return rethrowDuplicate(err, { id });
    });
    ctx.services.notifier.emit(user.username, 'eventsChanged', undefined, [eventItem(stored)], { webhooks: ctx.hasWebhooks });
    return { event: withReadTokens(ctx, stored) };
  },
});
