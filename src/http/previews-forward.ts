import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { request } from 'undici';
import type { Services } from '../api/context.js';
import type { Config } from '../config/index.js';
import { errors } from '../errors/index.js';

/**
 * Previews on the public API port (Pryv API §7), for setups that expose only that port:
 * `GET /{username}/events/{id}.jpg|.jpeg` is forwarded to the previews worker on this machine and its
 * answer streamed back as is. Previews are only ever produced in the previews worker (sharp and its
 * memory stay out of the API workers); without one, the answer is 503 api-unavailable. The bare
 * `/events/{id}` form stays events.getOne here.
 */

const FORWARDED_REQUEST_HEADERS = ['authorization', 'accept', 'x-request-id', 'origin'] as const;
const RETURNED_HEADERS = ['content-type', 'content-length', 'cache-control', 'pryv-access-id'] as const;

/** The previews worker as seen from this host: the bind address, or loopback when bound to all. */
export function previewsOrigin(config: Readonly<Config>): string {
  const bind = config.http.bindAddress;
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  return `http://${host}:${config.http.previewsPort}`;
}

export async function previewsForwardRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { config } = opts.services;
  const origin = previewsOrigin(config);
  // A conversion may take previews.timeoutMs; give the worker a little more before giving up.
  const timeout = config.previews.timeoutMs + 5_000;

  const forward = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    if (!config.cluster.previewsWorker) throw errors.apiUnavailable('The previews worker');
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    headers['x-request-id'] ??= req.id;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      // req.url is already host-rewritten (subdomain mode) into `/{username}/…`, as the worker expects.
      res = await request(`${origin}${req.url}`, { method: 'GET', headers, headersTimeout: timeout, bodyTimeout: timeout });
    } catch (err) {
      throw errors.apiUnavailable('The previews worker', err);
    }
    reply.code(res.statusCode);
    for (const name of RETURNED_HEADERS) {
      const v = res.headers[name];
      if (typeof v === 'string') reply.header(name, v);
    }
    if (res.statusCode === 204) {
      await res.body.dump();
      return reply.send();
    }
    return reply.send(res.body);
  };
  app.get('/:username/events/:id.jpg', forward);
  app.get('/:username/events/:id.jpeg', forward);
}
