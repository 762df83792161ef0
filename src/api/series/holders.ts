import { AccessLogic } from '../../domain/access-logic.js';
import { isSeriesType } from '../../domain/event-rules.js';
import type { SeriesLayouts } from '../../domain/series-format.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import type { Access, Event, User } from '../../domain/types.js';
import { errors } from '../../errors/index.js';
import { MissingReferenceError, StorageUnavailableError, TooManyItemsError } from '../../storage/interfaces/errors.js';
import type { RequestContext } from '../context.js';
import { forbidden } from '../stream-scope.js';
import type { HolderUpdater } from './holder-updater.js';

/** A series call: the path user and the caller's access are always known (the route checks both). */
export type SeriesContext = RequestContext & { user: User; access: Access };

/** Per-app helpers of the series handlers: derived field layouts and the holder metadata updater. */
export interface SeriesDeps {
  layouts: SeriesLayouts;
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
    // Personal accesses manage every stream: no need to load the tree.
    logic ??= new AccessLogic(ctx.access, new StreamsTree(ctx.access.type === 'personal' ? [] : await stores.streams.all(ctx.user.id)));
    const l = logic;
    const allowed = event.streamIds.some((s) => (need === 'read' ? l.canReadEvents(s) : l.canCreateEvents(s)));
    if (!allowed) throw forbidden(`${need === 'read' ? 'Reading' : 'Writing'} the series of event "${id}" is forbidden.`, { eventId: id });
    if (!isSeriesType(event.type)) {
      throw errors.invalidOperation(`Event "${id}" is not a series event (type "${event.type}").`, { data: { eventId: id } });
    }
    if (event.trashed) throw errors.invalidOperation(`Event "${id}" is in the trash.`, { data: { trashedReference: 'eventId' } });
    out.set(id, event);
  }
  return out;
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
