import { Type } from '@sinclair/typebox';
import { buildEventsQuery } from '../../domain/events-query.js';
import { nowSeconds } from '../context.js';
import { defineMethod, type StreamedResult } from '../method.js';
import { loadScope } from '../stream-scope.js';
import { EventTypeFilterSchema } from './event-schemas.js';
import { docWithReadTokens } from './attachments.js';
import type { EventDeletion, EventJson } from '../../storage/interfaces/events-store.js';
import type { AccessLogic } from '../../domain/access-logic.js';
import type { RequestContext } from '../context.js';
import { accountEventsQuery } from './account-events.js';
import { auditEventsQuery } from './audit-events.js';

/**
 * Starts the query before the response status is sent, so a storage failure still becomes a JSON
 * error rather than a truncated 200. Each item goes through `map`. A plain iterator, not an async
 * generator: every layer of generators costs a promise and a microtask per item (issue #10).
 */
async function primed<T, U>(source: AsyncIterable<T>, map: (item: T) => U): Promise<AsyncIterable<U>> {
  const it = source[Symbol.asyncIterator]();
  let first: IteratorResult<T> | null = await it.next();
  const mapped = (r: IteratorResult<T>): IteratorResult<U> => (r.done === true ? { done: true, value: undefined } : { done: false, value: map(r.value) });
  const iterator: AsyncIterator<U> = {
    next: async () => {
      if (first === null) return mapped(await it.next());
      const f = first;
      first = null;
      return mapped(f);
    },
    return: async () => {
      first = null;
      await it.return?.();
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * What a deletion kept beyond `{id, deleted}` (config versioning.deletionMode) is shown only to a
 * caller that could read the event: a personal access, or one with read on one of its streams
 * (keep-authors records have no streams, so only personal accesses see their authors).
 */
function visibleDeletion(ctx: RequestContext, logic: AccessLogic): (d: EventDeletion) => EventDeletion {
  const personal = ctx.access?.type === 'personal';
  return (d) => (personal || (d.streamIds ?? []).some((s) => logic.canReadEvents(s)) ? d : { id: d.id, deleted: d.deleted });
}

export default defineMethod({
  id: 'events.get',
  auth: 'access',
  params: Type.Object({
    streams: Type.Optional(Type.Unknown()),
    types: Type.Optional(Type.Array(EventTypeFilterSchema)),
    fromTime: Type.Optional(Type.Number()),
    toTime: Type.Optional(Type.Number()),
    running: Type.Optional(Type.Boolean()),
    sortAscending: Type.Optional(Type.Boolean()),
    skip: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
    state: Type.Optional(Type.Union([Type.Literal('default'), Type.Literal('trashed'), Type.Literal('all')])),
    modifiedSince: Type.Optional(Type.Number()),
    includeDeletions: Type.Optional(Type.Boolean()),
    // Content queries: arrays of conditions, checked by domain/content-query.ts.
    content: Type.Optional(Type.Unknown()),
    clientData: Type.Optional(Type.Unknown()),
  }, { additionalProperties: false }),
  async handler(ctx, p): Promise<StreamedResult> {
    // `:_audit:…` streams read the audit trail (docs/api.md#audit-trail).
    const audit = auditEventsQuery(ctx, p);
    if (audit !== null) return audit;
    const account = await accountEventsQuery(ctx, p);
    if (account !== null) return account;
    const { user, tree, logic } = await loadScope(ctx);
    const query = buildEventsQuery(p, { tree, logic }, nowSeconds());
    const store = ctx.services.stores.events;
    // Stored API JSON strings go straight to the response (src/http/respond.ts).
    // Stored JSON as is, except events with attachments, which get the caller's read tokens (§2.2).
    const doc = (r: EventJson): string => docWithReadTokens(ctx, r.doc, r.hasAttachments);
    const arrays: StreamedResult['arrays'] = [{ key: 'events', items: await primed(store.findJson(user.id, query), doc) }];
    if (p.includeDeletions === true && p.modifiedSince !== undefined) {
      arrays.push({ key: 'eventDeletions', items: await primed(store.deletionsSince(user.id, p.modifiedSince), visibleDeletion(ctx, logic)) });
    }
    return { kind: 'streamed', arrays };
  },
});
