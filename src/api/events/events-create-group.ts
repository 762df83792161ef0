import type { Event, User } from '../../domain/types.js';
import { eventItem } from '../../notifications/messages.js';
import type { RequestContext } from '../context.js';
import { dependencyError } from '../dependency-error.js';
import type { Settled } from '../method.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import { loadScope, rethrowDuplicate, type StreamScope } from '../stream-scope.js';
import { createAccountEvent } from './account-events-write.js';
import { withReadTokens } from './attachments.js';
import { draftEvent, type CreateEventParams } from './event-draft.js';

type Created = Settled<{ event: Event }>;
interface Draft {
  /** The call's position in the run. */
  at: number;
  event: Event;
}

/**
 * A run of consecutive events.create calls of one batch, written together (issue #10,
 * docs/api.md#batch-calls): each call is checked exactly as events.create checks it (event-draft.ts)
 * and answered in its own slot, but the accepted events go to the store in one write (one statement,
 * one commit) and the user's clients and webhooks hear of them once. The answers are those the calls
 * would have had one by one: a second call with the same id is refused as the store would refuse it,
 * and when the store refuses the write as a whole (an id already taken, a row it rejects), nothing
 * was written and the calls are written one by one instead, each with its own outcome. An outage
 * (or a commit whose outcome is unknown) is every call's answer, as it would have been.
 */
export async function createEventsTogether(ctx: RequestContext, calls: readonly CreateEventParams[]): Promise<Created[]> {
  const out = new Array<Created>(calls.length);
  const drafts: Draft[] = [];
  let scope: StreamScope | undefined;
  for (const [at, p] of calls.entries()) {
    try {
      // Account fields are their own writes (not the events table), as in events.create.
      const account = await createAccountEvent(ctx, p);
      if (account !== null) {
        out[at] = { ok: true, result: account };
        continue;
      }
      // events.create changes no stream: one tree and one access logic serve the whole run.
      scope ??= await loadScope(ctx);
      drafts.push({ at, event: draftEvent(ctx, scope, p) });
    } catch (error) {
      out[at] = { ok: false, error };
    }
  }
  if (scope !== undefined && drafts.length > 0) {
    const written = await writeDrafts(ctx, scope.user, drafts, out);
    if (written.length > 0) ctx.services.notifier.emit(scope.user.username, 'eventsChanged', undefined, written.map(eventItem));
  }
  return out;
}

/** Fills the drafts' slots of `out`; answers the events written. */
async function writeDrafts(ctx: RequestContext, user: User, drafts: readonly Draft[], out: Created[]): Promise<Event[]> {
  const store = ctx.services.stores.events;
  if (store.createMany !== undefined) {
    const firsts = new Map<string, Draft>();
    for (const d of drafts) if (!firsts.has(d.event.id)) firsts.set(d.event.id, d);
    let stored: Event[] | null = null;
    try {
      stored = await store.createMany(user.id, [...firsts.values()].map((d) => d.event));
    } catch (error) {
      if (dependencyError(error) !== null) {
        for (const d of drafts) out[d.at] = { ok: false, error };
        return [];
      }
      // Refused as a whole, nothing written: one by one below.
    }
    if (stored !== null) {
      const byId = new Map(stored.map((e) => [e.id, e]));
      for (const d of drafts) {
        const e = firsts.get(d.event.id) === d ? byId.get(d.event.id) : undefined;
        out[d.at] = e !== undefined ? { ok: true, result: { event: withReadTokens(ctx, e) } } : refusedDuplicate(d.event.id);
      }
      return stored;
    }
  }
  const written: Event[] = [];
  for (const d of drafts) {
    try {
      const e = await store.create(user.id, d.event);
      written.push(e);
      out[d.at] = { ok: true, result: { event: withReadTokens(ctx, e) } };
    } catch (err) {
      out[d.at] = refused(err, d.event.id);
    }
  }
  return written;
}

/** What events.create answers when the store refuses its event (rethrowDuplicate: 409 for a taken id). */
function refused(err: unknown, id: string): Created {
  try {
    return rethrowDuplicate(err, { id });
  } catch (error) {
    return { ok: false, error };
  }
}

function refusedDuplicate(id: string): Created {
  return refused(new DuplicateKeyError('id'), id);
}
