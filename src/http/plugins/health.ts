import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../../health/readiness.js';

/**
 * Liveness and readiness on every port (docs/operations.md):
 * - /health: 200 while this process serves; never checks dependencies, so a database blip does not
 *   make an orchestrator kill every worker.
 * - /ready: what a load balancer polls; 200 only when every check passes, else 503 with the list.
 */
export async function healthRoutes(app: FastifyInstance, opts: { readiness: Readiness; role: string }): Promise<void> {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/health',
    handler: async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok', role: opts.role };
    },
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/ready',
    handler: async (_req, reply) => {
      const report = await opts.readiness.report();
      reply.header('cache-control', 'no-store').code(report.ready ? 200 : 503);
      const failing = Object.entries(report.checks)
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => ({ check: name, detail: c.detail }));
      return { status: report.ready ? 'ready' : 'unavailable', role: opts.role, failing, checks: report.checks };
    },
  });
}
