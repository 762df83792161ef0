import type { FastifyInstance, FastifyRequest } from 'fastify';
import { admitCall, outcomeOf, recordCall } from '../api/call-audit.js';
import type { RequestContext, Services } from '../api/context.js';
import type { Access, User } from '../domain/types.js';
import { meta } from '../domain/meta.js';
import { ApiError } from '../errors/index.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';

interface Mark {
  methodId: string;
  /** Set for routes outside the method registry (series, attachments, previews): audited here. */
  audit: RequestContext | null;
}

const marks = new WeakMap<FastifyRequest, Mark>();

/**
 * Names the method a request calls (metrics label); with `audit`, the request is also recorded in
 * the audit trail when it answers. Registry methods are audited by registry.call itself.
 */
export function markCall(req: FastifyRequest, methodId: string, audit: RequestContext | null = null): void {
  marks.set(req, { methodId, audit });
}

/**
 * A route outside the registry that reads or changes one user's data (admin routes: `users.delete`,
 * `system.deactivateMfa`): audited when it answers, refused first when the trail cannot take it.
 */
export function auditRouteCall(req: FastifyRequest, services: Services, user: User, access: Access | null, methodId: string): void {
  const ua = req.headers['user-agent'];
  const ctx: RequestContext = { services, user, access, callerId: null, origin: null, referer: null, clientAddress: req.ip, userAgent: typeof ua === 'string' ? ua : null, methodId };
  markCall(req, methodId, ctx);
  admitCall(ctx, methodId);
}

/** The ids a route's call names: its path params, and the events of a series batch's body (`data[].eventId`). */
function auditedParams(req: FastifyRequest): unknown {
  const data = (req.body as { data?: unknown } | null | undefined)?.data;
  if (!Array.isArray(data)) return req.params;
  const eventIds = data.map((d: unknown) => (typeof d === 'object' && d !== null ? (d as { eventId?: unknown }).eventId : undefined));
  return { ...(req.params as object), eventIds };
}

/** The metrics label of a request: its method id, else its route pattern, else `unmatched`. */
function labelOf(req: FastifyRequest): string {
  const m = marks.get(req);
  if (m !== undefined) return m.methodId;
  const url = req.routeOptions.url;
  return url === undefined ? 'unmatched' : `${req.method} ${url}`;
}

/**
 * Every HTTP answer of a worker: counted by method id and status, timed, its error id counted
 * (docs/operations.md#metrics); calls of routes outside the registry go to the audit trail here,
 * a successful write's line on disk before the answer leaves (src/api/call-audit.ts).
 */
export function observeCalls(app: FastifyInstance, metrics: WorkerMetrics, serial: string): void {
  const role = metrics.role;
  app.addHook('onSend', async (req, reply, payload) => {
    const errorId = reply.statusCode >= 400 ? WorkerMetrics.errorIdOf(payload) : null;
    if (errorId !== null) metrics.httpErrors.inc({ role, method_id: labelOf(req), error_id: errorId });
    const mark = marks.get(req);
    if (mark === undefined || mark.audit === null) return payload;
    const status = reply.statusCode;
    const outcome = status >= 400 ? { status, errorId: errorId ?? (status >= 500 ? 'unexpected-error' : 'unknown') } : { status, errorId: null };
    try {
      await recordCall(mark.audit, mark.methodId, auditedParams(req), undefined, outcome);
      return payload;
    } catch (err) {
      const e = err instanceof ApiError ? err : null;
      const o = outcomeOf(err);
      reply.code(o.status).type('application/json; charset=utf-8');
      return JSON.stringify({ error: e?.toJSON() ?? { id: o.errorId, message: 'audit trail failure' }, meta: meta(serial) });
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    const methodId = labelOf(req);
    metrics.requests.inc({ role, method_id: methodId, status: String(reply.statusCode) });
    metrics.latency.observe({ role, method_id: methodId }, reply.elapsedTime / 1000);
  });
}
