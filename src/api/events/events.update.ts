import { Type, type Static } from '@sinclair/typebox';
import { checkEventStreams, checkTypeChange, isSeriesType, mergeClientData, resolveContent, uniqueIds } from '../../domain/event-rules.js';
import type { AccessLogic } from '../../domain/access-logic.js';
import type { StreamsTree } from '../../domain/streams-tree.js';
import type { Attachment, Event } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds, type RequestContext } from '../context.js';
import { defineMethod } from '../method.js';
import { forbidden, loadScope } from '../stream-scope.js';
import { PROTECTED_EVENT_FIELDS, WritableEventFields as F } from './event-schemas.js';
import { commitUploads, removeFiles, withReadTokens } from './attachments.js';
import { eventItem } from '../../notifications/messages.js';
import { isSystemStreamId } from '../../domain/system-streams.js';
import { updateAccountEvent } from './account-events-write.js';
import { protectedFieldsSchema, withoutProtectedFields } from '../protected-fields.js';

const UpdateSchema = Type.Object(
  {
    streamIds: Type.Optional(F.streamIds),
    type: Type.Optional(F.type),
    time: Type.Optional(F.time),
    duration: Type.Optional(F.duration),
    content: Type.Optional(F.content),
    description: Type.Optional(F.description),
    clientData: Type.Optional(F.clientData),
    trashed: Type.Optional(F.trashed),
    // Declared so they pass the schema and get the §3.2 answer (403) instead of "unknown parameter".
    ...protectedFieldsSchema(PROTECTED_EVENT_FIELDS),
  },
  { additionalProperties: false },
);

interface UpdateInput {
  ctx: RequestContext;
  tree: StreamsTree;
  logic: AccessLogic;
  update: Static<typeof UpdateSchema>;
  newFiles: Attachment[];
  author: string;
  id: string;
}

/**
 * The event after the update, from the event as stored (run under the store's lock, issue #16):
 * pure and synchronous, so every rule is checked on the current state. Throws to refuse.
 */
function nextEvent(current: Event, { ctx, tree, logic, update: u, newFiles, author, id }: UpdateInput): Event {
  if (!current.streamIds.some((s) => logic.canUpdateEvents(s))) throw forbidden(`Updating event "${id}" is forbidden.`);
  const streamIds = u.streamIds === undefined ? current.streamIds : uniqueIds(u.streamIds);
  const added = streamIds.filter((s) => !current.streamIds.includes(s));
  const removed = current.streamIds.filter((s) => !streamIds.includes(s));
  checkEventStreams(tree, streamIds, added);
  const denied = [...added, ...removed].filter((s) => !logic.canUpdateEvents(s));
  if (denied.length > 0) throw forbidden(`Moving the event in or out of ${denied.join(', ')} is forbidden.`, { streamIds: denied });
  const type = u.type ?? current.type;
  checkTypeChange(current.type, type);
  let content = current.content;
  let duration = u.duration === undefined ? current.duration : u.duration;
  if (u.content !== undefined || type !== current.type) {
    // A series event's content is the server's: only a type change recomputes it.
    const resolved = resolveContent(ctx.services.eventTypes, type, u.content !== undefined || isSeriesType(type) ? u.content : current.content);
    content = resolved.content;
    if (resolved.duration !== undefined) duration = resolved.duration;
  }
  return {
    ...current,
    attachments: newFiles.length > 0 ? [...(current.attachments ?? []), ...newFiles] : current.attachments,
    streamIds,
    type,
    time: u.time ?? current.time,
    duration,
    content,
    description: u.description === undefined ? current.description : u.description,
    clientData: u.clientData === undefined ? current.clientData : mergeClientData(current.clientData, u.clientData),
    trashed: u.trashed ?? current.trashed,
    modified: nowSeconds(),
    modifiedBy: author,
  };
}

export default defineMethod({
  id: 'events.update',
  auth: 'access',
  params: Type.Object({
    id: Type.String({ minLength: 1 }),
    update: UpdateSchema,
  }),
  async handler(ctx, p) {
    if (isSystemStreamId(p.id)) return updateAccountEvent(ctx, p.id, p.update);
    const { user, tree, logic } = await loadScope(ctx);
    const u = withoutProtectedFields(ctx, p.id, p.update, PROTECTED_EVENT_FIELDS);
    const store = ctx.services.stores.events;
    if ((ctx.uploads?.length ?? 0) > 0) {
      // Checked before any file moves (then again under the store's lock, on the event as it then is).
      const found = await store.get(user.id, p.id);
      if (found === null) throw errors.unknownResource('event', p.id);
      if (!found.streamIds.some((s) => logic.canUpdateEvents(s))) throw forbidden(`Updating event "${p.id}" is forbidden.`);
    }
    // Files of a multipart `POST /events/{id}` (§3.2, "add files"), appended to the existing ones.
    const newFiles = await commitUploads(ctx, user.id, p.id);
    const author = authorOf(ctx);
    const change = (current: Event): Event => nextEvent(current, { ctx, tree, logic, update: u, newFiles, author, id: p.id });
    // One atomic read-modify-write (issue #16): concurrent updates each apply on the previous result.
    const updated = await store.update(user.id, p.id, change).catch(async (err: unknown) => {
      await removeFiles(ctx, user.id, p.id, newFiles);
      throw err;
    });
    if (updated === null) {
      await removeFiles(ctx, user.id, p.id, newFiles);
      throw errors.unknownResource('event', p.id);
    }
    ctx.services.notifier.emit(user.username, 'eventsChanged', undefined, [eventItem(updated.before), eventItem(updated.after)], { webhooks: ctx.hasWebhooks });
    return { event: withReadTokens(ctx, updated.after) };
  },
});
