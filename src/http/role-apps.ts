import type { FastifyInstance } from 'fastify';
import type { Services } from '../api/context.js';
import type { Readiness } from '../health/readiness.js';
import type { WorkerRole } from '../notifications/ipc.js';
import { buildApp } from './app.js';
import { corsHooks } from './plugins/cors.js';
import { seriesRoutes } from './series-routes.js';

/** HFS worker (:4000): health plus the high-frequency series routes (Pryv API §5), also served on the API port. */
export async function buildHfsApp(services: Services, readiness: Readiness): Promise<FastifyInstance> {
  const app = await buildApp({ config: services.config, logger: services.logger, metrics: services.metrics, role: 'hfs', readiness });
  await corsHooks(app);
  // HFS liveness as the reference HFS answers it (§5); /health and /ready come with buildApp.
  app.get('/system/status', async () => ({ status: 'ok' }));
  await app.register(seriesRoutes, { services });
  return app;
}

/** Previews worker (:3001): health plus image previews (Pryv API §7), the only place they are produced. */
export async function buildPreviewsApp(services: Services, readiness: Readiness): Promise<FastifyInstance> {
  const app = await buildApp({ config: services.config, logger: services.logger, metrics: services.metrics, role: 'previews', readiness });
  await corsHooks(app);
  // Loaded here only: sharp (libvips) stays out of the API and HFS workers' memory.
  const { previewsRoutes } = await import('./previews-routes.js');
  await app.register(previewsRoutes, { services });
  return app;
}

/**
 * The app a worker of `role` serves. The API app (every method, Socket.IO) is loaded only by API
 * workers: half a second of CPU at each start of an HFS or previews worker otherwise.
 */
export async function buildRoleApp(role: WorkerRole, services: Services, readiness: Readiness): Promise<FastifyInstance> {
  if (role === 'api') {
    const { buildApiApp } = await import('./api-app.js');
    return buildApiApp(services, readiness);
  }
  if (role === 'hfs') return buildHfsApp(services, readiness);
  return buildPreviewsApp(services, readiness);
}
