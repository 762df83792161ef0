import { AccessLogic } from '../../domain/access-logic.js';
import { isSeriesType } from '../../domain/event-rules.js';
import type { SeriesLayouts } from '../../domain/series-format.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import type { Access, Event, User } from '../../domain/types.js';
import type { HolderFacts } from '../../storage/interfaces/series-store.js';
import { factsOf, type HolderCache } from './holder-cache.js';
import { errors } from '../../errors/index.js';
import { MissingReferenceError, StaleHolderError, StorageUnavailableError, TooManyItemsError } from '../../storage/interfaces/errors.js';
import type { RequestContext } from '../context.js';
import { forbidden } from '../stream-scope.js';
import type { HolderUpdater } from './holder-updater.js';

/** A series call: the path user and the caller's access are always known (the route checks both). */
export type SeriesContext = RequestContext & { user: User; access: Access };

/** Per-app helpers of the series handlers: derived field layouts and the holder metadata updater. */
export interface SeriesDeps {
  layouts: SeriesLayouts;
  holders: HolderCache;
  updater: HolderUpdater;
}

/**
 * The holder events of `eventIds`, each checked (Pryv API §5): 404 unknown, 403 without write
 * (contribute or create-only) or read (not create-only) on one of its streams, 400 invalid-operation
 * when not a series event or trashed.
 */
export async function loadHolders(ctx: SeriesContext, eventIds: readonly string[], need: 'read' | 'write'): Promise<Map<string, Event>> {
  const { stores } = ctx.services;
  let logic: AccessLogic | null = null;
  const out = new Map<string, Event>();
  for (const id of new Set(eventIds)) {
    const event = await stores.events.get(ctx.user.id, id);
    if (event === null) throw errors.unknownResource('event', id);
    logic ??= await accessLogic(ctx);
    checkHolder(logic, event, need);
    out.set(id, event);
  }
  return out;
}

/** The caller's access rules; personal accesses manage every stream: no need for the tree. */
async function accessLogic(ctx: SeriesContext): Promise<AccessLogic> {
  const { user, services } = ctx;
  if (ctx.access.type === 'personal') return new AccessLogic(ctx.access, new StreamsTree([]));
  return new AccessLogic(ctx.access, await services.streamTrees.tree(user.id, ctx.streamsVersion, services.stores.streams));
}

function checkHolder(logic: AccessLogic, event: Event, need: 'read' | 'write'): void {
  const id = event.id;
  const allowed = event.streamIds.some((s) => (need === 'read' ? logic.canReadEvents(s) : logic.canCreateEvents(s)));
  if (!allowed) throw forbidden(`${need === 'read' ? 'Reading' : 'Writing'} the series of event "${id}" is forbidden.`, { eventId: id });
  if (!isSeriesType(event.type)) {
    throw errors.invalidOperation(`Event "${id}" is not a series event (type "${event.type}").`, { data: { eventId: id } });
  }
  if (event.trashed) throw errors.invalidOperation(`Event "${id}" is in the trash.`, { data: { trashedReference: 'eventId' } });
}

/**
 * Runs `fn` with the checked holder `eventId`, taken from the worker's HolderCache when the store
 * re-checks holders (checksHolders): `fn` passes `facts` to the store, which throws StaleHolderError
 * having done nothing when the stored holder changed; the holder is then loaded and checked again
 * and `fn` run again. A cached holder the access check refuses is loaded again too, so a refusal is
 * never based on an old copy. Engines without the check load the holder every call, as before.
 */
export async function withHolder<T>(
  ctx: SeriesContext,
  deps: SeriesDeps,
  eventId: string,
  need: 'read' | 'write',
  fn: (holder: Event, facts: HolderFacts | undefined) => Promise<T>,
): Promise<T> {
  const load = async (): Promise<Event> => {
    const holder = (await loadHolders(ctx, [eventId], need)).get(eventId);
    if (holder === undefined) throw errors.unknownResource('event', eventId);
    return holder;
  };
  if (ctx.services.stores.series.checksHolders !== true) return fn(await load(), undefined);
  const userId = ctx.user.id;
  let holder = deps.holders.get(userId, eventId);
  if (holder !== undefined) {
    try {
      checkHolder(await accessLogic(ctx), holder, need);
    } catch {
      holder = undefined;
    }
  }
  for (let attempt = 0; ; attempt += 1) {
    if (holder === undefined) {
      deps.holders.delete(userId, eventId);
      holder = await load();
      deps.holders.set(userId, eventId, holder);
    }
    try {
      // A third try (the holder changed twice meanwhile) runs unchecked, as without the cache.
      return await fn(holder, attempt < 2 ? factsOf(holder) : undefined);
    } catch (err) {
      if (!(err instanceof StaleHolderError)) throw err;
      holder = undefined;
    }
  }
}

/** Too many points in one request: the same 413 as a body over the size limit. */
export function checkPointCount(count: number, limit: number): void {
  if (count > limit) {
    throw errors.invalidRequestStructure(`At most ${limit} points per request.`, { httpStatus: 413, data: { limit } });
  }
}

/** Storage outages become 503 api-unavailable (Pryv API §5), a holder deleted mid-write 404. */
export async function seriesStoreCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StorageUnavailableError) throw errors.apiUnavailable('The series store', err);
    if (err instanceof MissingReferenceError) throw errors.notFound('The series event was deleted meanwhile.');
    if (err instanceof TooManyItemsError) {
      throw errors.tooManyResults(`The range holds ${err.count} points, more than ${err.limit}: read it in parts with fromDeltaTime / toDeltaTime.`, {
        data: { limit: err.limit, count: err.count },
      });
    }
    throw err;
  }
}
