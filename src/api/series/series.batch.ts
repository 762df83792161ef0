import { checkFlatJsonShape, parseFlatJson, sortPoints, type ParsedPoints } from '../../domain/series-format.js';
import { errors } from '../../errors/index.js';
import type { SeriesWrite } from '../../storage/interfaces/series-store.js';
import { authorOf } from '../context.js';
import { checkPointCount, loadHolders, seriesStoreCall, type SeriesContext, type SeriesDeps } from './holders.js';

interface Entry {
  eventId: string;
  data: unknown;
}

/** The `{format: "seriesBatch", data: [{eventId, data}]}` envelope; throws invalid-request-structure. */
function entriesOf(body: unknown): Entry[] {
  const b = body as { format?: unknown; data?: unknown } | null;
  if (typeof b !== 'object' || b === null || b.format !== 'seriesBatch' || !Array.isArray(b.data)) {
    throw errors.invalidRequestStructure('A series batch is {"format": "seriesBatch", "data": [{"eventId", "data"}, …]}.');
  }
  return b.data.map((e: unknown, i: number) => {
    const entry = e as { eventId?: unknown; data?: unknown } | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.eventId !== 'string' || entry.eventId === '') {
      throw errors.invalidRequestStructure(`Batch entry ${i} needs an "eventId" string and flatJSON "data".`);
    }
    return { eventId: entry.eventId, data: entry.data };
  });
}

/**
 * `POST /{username}/series/batch` (Pryv API §5): every entry is checked (shape, holder, permission,
 * points) before anything is written; the writes then commit together.
 */
export async function addBatch(ctx: SeriesContext, deps: SeriesDeps, body: unknown): Promise<void> {
  const entries = entriesOf(body);
  const shapes = entries.map((e, i) => checkFlatJsonShape(e.data, { entry: i, eventId: e.eventId }));
  checkPointCount(shapes.reduce((n, s) => n + s.points.length, 0), ctx.services.config.series.maxPointsPerRequest);
  const holders = await loadHolders(ctx, entries.map((e) => e.eventId), 'write');
  // Entries for the same holder are concatenated in order, so a later one wins on a shared deltaTime.
  const perEvent = new Map<string, ParsedPoints>();
  entries.forEach((e, i) => {
    const holder = holders.get(e.eventId);
    if (holder === undefined) return;
    const parsed = parseFlatJson(e.data, deps.layouts.of(holder.type), holder.time, { entry: i, eventId: e.eventId });
    const acc = perEvent.get(e.eventId);
    if (acc === undefined) perEvent.set(e.eventId, parsed);
    else perEvent.set(e.eventId, { deltaTimes: acc.deltaTimes.concat(parsed.deltaTimes), rows: acc.rows.concat(parsed.rows) });
  });
  const writes: SeriesWrite[] = [...perEvent].map(([eventId, p]) => ({ eventId, ...sortPoints(p) }));
  await seriesStoreCall(() => ctx.services.stores.series.write(ctx.user.id, writes));
  const author = authorOf(ctx);
  await Promise.all(writes.map((w) => deps.updater.touched(ctx.user, w.eventId, author)));
}
