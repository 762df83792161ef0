import { checkFlatJsonShape, parseFlatJson, sortPoints } from '../../domain/series-format.js';
import { authorOf } from '../context.js';
import { checkPointCount, seriesStoreCall, withHolder, type SeriesContext, type SeriesDeps } from './holders.js';

/** `POST /{username}/events/{id}/series` (Pryv API §5): flatJSON points into one holder's series. */
export async function addPoints(ctx: SeriesContext, deps: SeriesDeps, eventId: string, body: unknown): Promise<void> {
  // The envelope first: a malformed body is 400 whatever the event.
  checkPointCount(checkFlatJsonShape(body).points.length, ctx.services.config.series.maxPointsPerRequest);
  await withHolder(ctx, deps, eventId, 'write', async (holder, facts) => {
    const points = sortPoints(parseFlatJson(body, deps.layouts.of(holder.type), holder.time));
    const write = facts === undefined ? { eventId, ...points } : { eventId, holder: facts, ...points };
    await seriesStoreCall(() => ctx.services.stores.series.write(ctx.user.id, [write]));
  });
  await deps.updater.touched(ctx.user, eventId, authorOf(ctx));
}
