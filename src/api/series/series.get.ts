import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { checkParams, compileParams } from '../../validation/validation.js';
import { nowSeconds } from '../context.js';
import { seriesStoreCall, withHolder, type SeriesContext, type SeriesDeps } from './holders.js';

const QUERY = compileParams(
  Type.Object({ fromDeltaTime: Type.Optional(Type.Number()), toDeltaTime: Type.Optional(Type.Number()) }, { additionalProperties: false }),
);

export interface SeriesPoints {
  fields: string[];
  /** The first piece of the `points` array body (see SeriesStore.read), read before answering, then the rest. */
  first: IteratorResult<string>;
  it: AsyncIterator<string>;
}

/**
 * `GET /{username}/events/{id}/series` (Pryv API §5): raw points with fromDeltaTime ≤ deltaTime <
 * toDeltaTime, ascending. Without `toDeltaTime` the read stops at the current time, as the reference
 * does: points dated in the future are not answered. A range holding more than
 * `series.maxPointsPerRead` points is refused (413 too-many-results) before anything is sent.
 */
export async function getPoints(ctx: SeriesContext, deps: SeriesDeps, eventId: string, query: Record<string, unknown>): Promise<SeriesPoints> {
  checkParams(QUERY, query, true);
  const { fromDeltaTime: from, toDeltaTime: to } = query as { fromDeltaTime?: number; toDeltaTime?: number };
  for (const [param, v] of [['fromDeltaTime', from], ['toDeltaTime', to]] as const) {
    if (v !== undefined && !Number.isFinite(v)) {
      throw errors.invalidParametersFormat('The parameters format is invalid.', [{ code: 'type', message: 'must be a finite number', path: `#/${param}`, param }]);
    }
  }
  return withHolder(ctx, deps, eventId, 'read', async (holder, facts) => {
    const range = { from: from ?? null, to: to ?? nowSeconds() - holder.time, maxPoints: ctx.services.config.series.maxPointsPerRead };
    const it = ctx.services.stores.series.read(ctx.user.id, eventId, facts === undefined ? range : { ...range, holder: facts })[Symbol.asyncIterator]();
    const first = await seriesStoreCall(() => it.next());
    return { fields: deps.layouts.of(holder.type).fields, first, it };
  });
}
