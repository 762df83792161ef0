import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { HolderCache } from '../api/series/holder-cache.js';
import { HolderUpdater } from '../api/series/holder-updater.js';
import type { SeriesContext, SeriesDeps } from '../api/series/holders.js';
import { seriesStoreCall } from '../api/series/holders.js';
import { addBatch } from '../api/series/series.batch.js';
import { addPoints } from '../api/series/series.add.js';
import { getPoints } from '../api/series/series.get.js';
import { SeriesLayouts } from '../domain/series-format.js';
import { errors } from '../errors/index.js';
import { meta } from '../domain/meta.js';
import { userContext, withAccess } from './plugins/user-context.js';

/** Series holders one worker keeps (src/api/series/holder-cache.ts): an Event each, a few KB at most. */
const HOLDERS_CACHED = 10_000;
/** Series answers up to this many characters are sent whole, larger ones streamed. */
const WHOLE_BODY = 262_144;

type Req = FastifyRequest<{ Params: Record<string, string> }>;

const missingToken = () =>
  errors.missingHeader('Missing access token: send it in the Authorization header or the "auth" query parameter.', { httpStatus: 401 });

/**
 * The high-frequency series routes (Pryv API §5), registered on both the HFS workers' app and the
 * API app: the SDK posts to `{apiEndpoint}events/{id}/series`, i.e. the API port. Both serve these
 * same handlers in-process rather than the API port forwarding to an HFS worker: no extra hop, no
 * 502 path, one code path; the HFS port stays for deployments that route series traffic apart.
 */
export async function seriesRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const serial = services.config.service.serial;
  const deps: SeriesDeps = {
    layouts: new SeriesLayouts(services.eventTypes),
    holders: new HolderCache(HOLDERS_CACHED),
    updater: new HolderUpdater(services, services.config.series.metadataUpdateDelayMs),
  };
  // Pending holder updates are written before the app (and the pool after it) closes.
  app.addHook('onClose', async () => deps.updater.flush());

  const contextOf = userContext(services);
  /** User, then token (§5: no token → 401 missing-header; §9 row 28: on reads and writes alike). */
  const context = async (req: Req, reply: FastifyReply, methodId: string): Promise<{ ctx: SeriesContext; query: Record<string, unknown> }> => {
    const { ctx, query } = await contextOf(req, reply, { methodId, record: true, missing: missingToken });
    return { ctx: withAccess(ctx), query };
  };
  const ok = (reply: FastifyReply): FastifyReply => reply.code(200).send({ status: 'ok', meta: meta(serial) });

  app.post('/:username/events/:id/series', async (req: Req, reply) => {
    const { ctx } = await context(req, reply, 'series.add');
    await addPoints(ctx, deps, req.params['id'] ?? '', req.body);
    return ok(reply);
  });

  app.post('/:username/series/batch', async (req: Req, reply) => {
    const { ctx } = await context(req, reply, 'series.batch');
    await addBatch(ctx, deps, req.body);
    return ok(reply);
  });

  app.get('/:username/events/:id/series', async (req: Req, reply) => {
    const { ctx, query } = await context(req, reply, 'series.get');
    // The first batch is read before the status is sent, so a store outage is still a clean 503.
    const { fields, first, it } = await getPoints(ctx, deps, req.params['id'] ?? '', query);
    // Answers up to ~256 KiB (ranges of some thousand points, most reads) are built whole and sent
    // with a content-length: cheaper than a stream, and a store error before the end is still a 503.
    let body = `{"format":"flatJSON","fields":${JSON.stringify(fields)},"points":[`;
    let r = first;
    let n = 0;
    for (; r.done !== true && body.length <= WHOLE_BODY; n += 1) {
      body += n === 0 ? r.value : `,${r.value}`;
      r = await seriesStoreCall(() => it.next());
    }
    reply.code(200).type('application/json; charset=utf-8');
    if (r.done === true) return reply.send(`${body}],"meta":${JSON.stringify(meta(serial))}}`);
    return reply.send(Readable.from(pointsJson(body, n > 0, r, it, serial)));
  });
}

/** `head`, then the pieces comma-joined (after a comma when `started`), then `],"meta":…}`, in ~64 KiB chunks. */
async function* pointsJson(head: string, started: boolean, first: IteratorResult<string>, rest: AsyncIterator<string>, serial: string): AsyncGenerator<string> {
  let chunk = head;
  let n = started ? 1 : 0;
  for (let r = first; r.done !== true; r = await rest.next()) {
    chunk += n === 0 ? r.value : `,${r.value}`;
    n += 1;
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}],"meta":${JSON.stringify(meta(serial))}}`;
}
