import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { Readiness } from '../health/readiness.js';
import type { WorkerRole } from '../notifications/ipc.js';
import { installErrorHandler } from './plugins/error-handler.js';
import { healthRoutes } from './plugins/health.js';
import { API_VERSION, meta } from '../domain/meta.js';
import { errors } from '../errors/index.js';
import { rewriteForHost } from './host-routing.js';
import { assertSafeInput, assertSafeQuery } from '../validation/input-limits.js';
import { recordRoutes } from './route-table.js';
import { requestLogController } from './request-log.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { observeCalls } from './call-observer.js';
import { lazyRequestLogger } from './lazy-request-logger.js';

/** Longest path segment (usernames ≤ 60, ids ≤ 100; headroom for file names). */
const MAX_PARAM_LENGTH = 500;

export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  role: WorkerRole;
  readiness: Readiness;
  /** Counts and times every answer (docs/operations.md#metrics); absent in bare unit-test apps. */
  metrics?: WorkerMetrics;
}

/**
 * Builds the fastify app of one worker role without listening, so tests drive it with `inject()`.
 * Role-specific routes are added by the role's own plugin.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    // While closing (drain over), new requests get 503 and idle keep-alive sockets are closed.
    return503OnClosing: true,
    logController: requestLogController(config.logging.requests),
    childLoggerFactory: lazyRequestLogger,
    forceCloseConnections: 'idle',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Node's own header limit answers 431 without a JSON body: keep it above our query limit so the
    // limit below is the one that applies (and answers a proper API error).
    http: { maxHeaderSize: config.limits.queryMaxBytes + 16_384 },
    rewriteUrl: (req) => rewriteForHost(req.headers.host, req.url ?? '/', config),
    // Errors raised by the router itself (bad URL encoding, over-long path segment) get the API's
    // error envelope too, never fastify's own body.
    frameworkErrors: (err, _req, reply) => {
      const e =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? errors.invalidRequestStructure(`A path segment is longer than ${MAX_PARAM_LENGTH} characters.`, { httpStatus: 414 })
          : errors.invalidRequestStructure('Malformed URL.');
      void (reply as unknown as FastifyReply).code(e.httpStatus).send({ error: e.toJSON(), meta: meta(config.service.serial) });
    },
  });
  recordRoutes(app);
  if (deps.metrics !== undefined) observeCalls(app, deps.metrics, config.service.serial);
  app.addHook('onSend', async (req, reply) => {
    reply.header('api-version', API_VERSION);
    reply.header('x-request-id', req.id);
  });
  app.addHook('onRequest', async (req) => {
    if ((req.url?.length ?? 0) > config.limits.queryMaxBytes) throw errors.uriTooLong(config.limits.queryMaxBytes);
  });
  // The input rules of every route, once (src/validation/input-limits.ts): path segments, query, parsed body.
  app.addHook('preValidation', async (req) => {
    assertSafeInput(req.params, '#');
    const q = req.url.indexOf('?');
    if (q >= 0) assertSafeQuery(req.url.slice(q + 1));
    assertSafeInput(req.body, '#');
  });
  installErrorHandler(app, { serial: config.service.serial, bodyLimit: config.http.bodyLimitBytes });
  await app.register(healthRoutes, { readiness: deps.readiness, role: deps.role });
  return app;
}
