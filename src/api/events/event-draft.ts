import type { Static } from '@sinclair/typebox';
import { newId } from '../../auth/crypto.js';
import { checkEventStreams, resolveContent, uniqueIds } from '../../domain/event-rules.js';
import type { Event } from '../../domain/types.js';
import { authorOf, nowSeconds, type RequestContext } from '../context.js';
import { forbidden, type StreamScope } from '../stream-scope.js';
import type eventsCreate from './events.create.js';

/** The params of events.create, as its schema types them. */
export type CreateEventParams = Static<(typeof eventsCreate)['params']>;

/**
 * events.create's checks, and the event it would write, before anything is written: shared by the
 * method (events.create.ts) and the batch path that writes a run of creates together
 * (events-create-group.ts), so both refuse and build exactly alike. `attachments` stays undefined
 * (in its place in the key order): the method adds the files of a multipart create.
 */
export function draftEvent(ctx: RequestContext, scope: Pick<StreamScope, 'tree' | 'logic'>, p: CreateEventParams): Event {
  const streamIds = uniqueIds(p.streamIds);
  checkEventStreams(scope.tree, streamIds);
  const denied = streamIds.filter((s) => !scope.logic.canCreateEvents(s));
  if (denied.length > 0) throw forbidden(`Creating events in ${denied.join(', ')} is forbidden.`, { streamIds: denied });
  const resolved = resolveContent(ctx.services.eventTypes, p.type, p.content);
  const now = nowSeconds();
  const author = authorOf(ctx);
  return {
    id: p.id ?? newId(),
    streamIds,
    type: p.type,
    time: p.time ?? now,
    duration: resolved.duration ?? p.duration,
    content: resolved.content,
    description: p.description,
    clientData: p.clientData,
    attachments: undefined,
    trashed: p.trashed ?? false,
    created: now,
    createdBy: author,
    modified: now,
    modifiedBy: author,
  };
}
