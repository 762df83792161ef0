import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import type { Services } from '../api/context.js';
import type { MethodRegistry } from '../api/registry.js';
import { buildParams, matchRoute, type RouteSpec } from '../api/routes.js';
import { formOverride } from './form-body.js';
import type { Access } from '../domain/types.js';
import { errors } from '../errors/index.js';
import { respond } from './respond.js';
import { receiveMultipart, type ReceivedMultipart } from './uploads.js';
import { userContext } from './plugins/user-context.js';

type Req = FastifyRequest<{ Params: Record<string, string> }>;

export interface UserApiOptions {
  services: Services;
  registry: MethodRegistry;
  routes: RouteSpec[];
}

/**
 * The body of a route that takes files (Pryv API §3.2): multipart is read here, once the caller's
 * token is known to be valid, so an anonymous client cannot fill the disk; multipart elsewhere is 415.
 */
async function multipartBody(services: Services, req: Req, spec: RouteSpec | null, access: Access | null): Promise<ReceivedMultipart | null> {
  const multipart = req.isMultipart();
  if (multipart && spec?.uploads === undefined) throw errors.unsupportedContentType('multipart/form-data');
  if (!multipart && spec?.uploads === 'files-only') throw errors.unsupportedContentType(req.headers['content-type'] ?? 'none');
  if (!multipart || spec?.uploads === undefined) return null;
  if (access === null) throw errors.missingToken();
  return receiveMultipart(req, services.attachments, services.config, spec.uploads);
}

/** Every `/{username}/…` route of the method table, plus the batch call on `POST /{username}/`. */
export async function userApiRoutes(app: FastifyInstance, opts: UserApiOptions): Promise<void> {
  const { services, registry } = opts;
  const contextOf = userContext(services);
  const serial = services.config.service.serial;
  // Multipart parsing stays in this plugin's scope; bodies are read by multipartBody() only.
  await app.register(fastifyMultipart);

  /** `_method` in a form body (Pryv API §1.3): dispatch to the route of that verb and path. */
  const overridden = (req: Req, spec: RouteSpec | null): { spec: RouteSpec | null; path: Record<string, string> } => {
    const verb = formOverride(req)?.method ?? null;
    if (verb === null || verb === req.method) return { spec, path: req.params };
    const username = req.params['username'] ?? '';
    const rest = (req.url.split('?')[0] ?? '').split('/').slice(2).join('/');
    const m = matchRoute(opts.routes, verb, `/${rest}`);
    if (m === null) throw errors.unknownRoute(verb, req.url);
    return { spec: m.spec, path: { ...m.params, username } };
  };

  const handle = (routeSpec: RouteSpec | null) => async (req: Req, reply: FastifyReply) => {
    const { spec, path } = overridden(req, routeSpec);
    const def = spec === null ? null : registry.get(spec.method);
    if (spec !== null && def === undefined) throw errors.unknownRoute(req.method, req.url);
    // `auth` is transport, not a method param: the query comes back without it.
    const { ctx: caller, query: methodQuery, token } = await contextOf(req, reply, { methodId: spec?.method ?? 'callBatch', isPublic: def?.auth === 'public' });
    const received = await multipartBody(services, req, spec, caller.access);
    const ctx = { ...caller, uploads: received?.uploads, bearerToken: token };
    if (spec === null) {
      if (ctx.access === null) throw errors.missingToken();
      return respond(reply, 200, await registry.callBatch(ctx, req.body, services.config.limits.batchMaxCalls), serial);
    }
    const params = buildParams(spec, path, methodQuery, received === null ? req.body : received.json);
    try {
      const result = await registry.call(ctx, spec.method, params, { coerce: spec.params.endsWith('query') });
      return await respond(reply, def?.successStatus ?? 200, result, serial);
    } finally {
      // Files the method did not take (refused call) leave the staging area.
      if (received !== null) await services.attachments.discard(received.uploads);
    }
  };

  app.post('/:username', handle(null));
  const posts = new Set<string>();
  for (const spec of opts.routes) {
    app.route({ method: spec.verb, url: `/:username${spec.path}`, handler: handle(spec) });
    if (spec.verb === 'POST') posts.add(spec.path);
  }
  // Form overrides may target paths that only have PUT/DELETE routes: accept a POST there too.
  for (const spec of opts.routes) {
    if (spec.verb === 'POST' || posts.has(spec.path)) continue;
    posts.add(spec.path);
    app.post(`/:username${spec.path}`, async (req: Req, reply) => {
      if ((formOverride(req)?.method ?? null) === null) throw errors.unknownRoute('POST', req.url);
      return handle(null)(req, reply);
    });
  }
}
