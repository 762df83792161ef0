import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { previewSource } from '../api/events/preview-source.js';
import { errors } from '../errors/index.js';
import { PreviewCache, previewsCacheDirOf } from '../previews/preview-cache.js';
import { Previews } from '../previews/previews.js';
import type { Desired } from '../previews/sizing.js';
import { meta } from '../domain/meta.js';
import { hidden, isAdmin } from './system-routes.js';
import { userContext } from './plugins/user-context.js';

type Req = FastifyRequest<{ Params: { username: string; id: string } }>;

/** `w|width`, `h|height`: positive numbers, or absent. */
export function desiredSize(query: Record<string, unknown>): Desired {
  const one = (...keys: string[]): number | null => {
    for (const key of keys) {
      const raw = query[key];
      if (raw === undefined) continue;
      const n = typeof raw === 'string' ? Number(raw) : Number.NaN;
      if (!Number.isFinite(n) || n <= 0) {
        throw errors.invalidParametersFormat(`"${key}" must be a positive number.`, [{ code: 'type', message: 'must be a positive number', path: `#/${key}`, param: key }]);
      }
      return n;
    }
    return null;
  };
  return { width: one('w', 'width'), height: one('h', 'height') };
}

/**
 * The previews worker's routes (Pryv API §7): `GET /{username}/events/{id}[.jpg|.jpeg]` and the
 * cache clean-up, on a timer and on `POST /clean-up-cache` (admin key; §9 #27).
 */
export async function previewsRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const { config } = services;
  const previews = new Previews(new PreviewCache(previewsCacheDirOf(config)), config.previews);

  const contextOf = userContext(services);
  const serve = async (req: Req, reply: FastifyReply): Promise<unknown> => {
    const { ctx, query } = await contextOf(req, reply, { methodId: 'events.getPreview', record: true, missing: errors.missingToken });
    const desired = desiredSize(query);
    const picture = await previewSource(ctx, req.params.id);
    if (picture === null) return reply.code(204).send();
    const file = await previews.get(picture, desired);
    reply.headers({ 'content-type': 'image/jpeg', 'content-length': String(file.size), 'cache-control': 'private' });
    return reply.send(file.body);
  };
  app.get('/:username/events/:id', serve);
  app.get('/:username/events/:id.jpg', serve);
  app.get('/:username/events/:id.jpeg', serve);

  // One clean-up at a time: a request during a run waits for that run.
  let running: Promise<number> | null = null;
  const cleanUp = (): Promise<number> => {
    running ??= previews.cache.cleanUp(config.previews.cacheMaxAgeSeconds).finally(() => {
      running = null;
    });
    return running;
  };
  app.post('/clean-up-cache', {
    onRequest: async (req) => {
      if (!isAdmin(services, req)) throw hidden(req);
    },
    handler: async () => ({ message: 'Clean-up successful.', removed: await cleanUp(), meta: meta(config.service.serial) }),
  });
  const timer = setInterval(() => {
    cleanUp().then(
      (removed) => app.log.info({ removed }, 'previews cache cleaned up'),
      (err: unknown) => app.log.error({ err }, 'previews cache clean-up failed'),
    );
  }, config.previews.cleanupIntervalSeconds * 1000);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
