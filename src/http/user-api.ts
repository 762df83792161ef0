import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import type { Services } from '../api/context.js';
import type { MethodRegistry } from '../api/registry.js';
import { buildParams, matchRoute, type RouteSpec } from '../api/routes.js';
import { formOverride } from './form-body.js';
import { resolveUser } from '../api/resolve-user.js';
import { authenticate } from '../auth/authenticate.js';
import { extractToken } from '../auth/extract-token.js';
import type { Access, User } from '../domain/types.js';
import { errors } from '../errors/index.js';
import { parseQuery } from './query.js';
import { respond } from './respond.js';
import { receiveMultipart, type ReceivedMultipart } from './uploads.js';

type Req = FastifyRequest<{ Params: Record<string, string> }>;

export interface UserApiOptions {
  services: Services;
  registry: MethodRegistry;
  routes: RouteSpec[];
}

function header(req: FastifyRequest, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

/** Resolves the caller's access when a token is given; public methods tolerate a bad one. */
export async function callerAccess(
  services: Services,
  user: User,
  req: FastifyRequest,
  query: Record<string, unknown>,
  isPublic: boolean,
): Promise<{ access: Access | null; callerId: string | null; token: string | null }> {
  const found = extractToken({
    authorization: header(req, 'authorization') ?? undefined,
    queryAuth: typeof query['auth'] === 'string' ? query['auth'] : undefined,
    formAuth: formOverride(req)?.auth ?? undefined,
  });
  if (found === null) return { access: null, callerId: null, token: null };
  try {
    return { access: await authenticate(services, user, found.token), callerId: found.callerId, token: found.token };
  } catch (err) {
    // A public method may take another kind of token there (mfa.*: the mfaToken).
    if (isPublic) return { access: null, callerId: null, token: found.token };
    throw err;
  }
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
    const username = req.params['username'] ?? '';
    const user = await resolveUser(services, username);
    const query = parseQuery(req.url.split('?')[1] ?? '');
    const def = spec === null ? null : registry.get(spec.method);
    if (spec !== null && def === undefined) throw errors.unknownRoute(req.method, req.url);
    const { access, callerId, token } = await callerAccess(services, user, req, query, def?.auth === 'public');
    if (access !== null) reply.header('pryv-access-id', access.id);
    const received = await multipartBody(services, req, spec, access);
    const ctx = { services, user, access, callerId, origin: header(req, 'origin'), referer: header(req, 'referer'), clientAddress: req.ip, uploads: received?.uploads, bearerToken: token };
    if (spec === null) {
      if (access === null) throw errors.missingToken();
      return respond(reply, 200, await registry.callBatch(ctx, req.body, services.config.limits.batchMaxCalls), serial);
    }
    // `auth` is transport, not a method param.
    const { auth: _auth, ...methodQuery } = query;
    void _auth;
    const params = buildParams(spec, path, methodQuery, received === null ? req.body : received.json);
    try {
      const result = await registry.call(ctx, spec.method, params, { coerce: spec.params.endsWith('query') });
      return respond(reply, def?.successStatus ?? 200, result, serial);
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
