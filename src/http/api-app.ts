import type { FastifyInstance } from 'fastify';
import type { Services } from '../api/context.js';
import { buildRegistry } from '../api/modules.js';
import type { Readiness } from '../health/readiness.js';
import { buildApp } from './app.js';
import { corsHooks } from './plugins/cors.js';
import { formBodyParser } from './form-body.js';
import { regRoutes } from './reg-routes.js';
import { assetsRoutes } from './assets-routes.js';
import { accessRequestRoutes } from './access-request-routes.js';
import { systemRoutes } from './system-routes.js';
import { systemExtrasRoutes } from './system-extras-routes.js';
import { systemMailMfaRoutes } from './system-mail-mfa-routes.js';
import { regExtrasRoutes } from './reg-extras-routes.js';
import { regAdminRoutes } from './reg-admin-routes.js';
import { clusterRoutes } from './cluster-routes.js';
import { userApiRoutes } from './user-api.js';
import { seriesRoutes } from './series-routes.js';
import { attachmentRoutes } from './attachment-routes.js';
import { previewsForwardRoutes } from './previews-forward.js';
import { openApiDocument } from './openapi.js';
import { attachSocketServer } from '../socket-io/socket-server.js';
import { webhookDeliveryHooks } from '../webhooks/delivery.js';

/**
 * The API worker's app: health, CORS, registration/discovery, every `/{username}/…` method, and
 * Socket.IO on the same HTTP server (closed with the app).
 */
export async function buildApiApp(services: Services, readiness: Readiness): Promise<FastifyInstance> {
  const app = await buildApp({ config: services.config, logger: services.logger, metrics: services.metrics, role: 'api', readiness });
  await corsHooks(app);
  formBodyParser(app);
  const { registry, routes } = buildRegistry();
  await app.register(regRoutes, { services });
  await app.register(assetsRoutes, { config: services.config });
  await app.register(accessRequestRoutes, { services });
  await app.register(systemRoutes, { services });
  await app.register(systemExtrasRoutes, { services });
  await app.register(systemMailMfaRoutes, { services });
  await app.register(regExtrasRoutes, { services });
  await app.register(regAdminRoutes, { services });
  await app.register(clusterRoutes, { services });
  const openApi = openApiDocument(registry, routes, services.config);
  app.get('/openapi.json', async () => openApi);
  await app.register(userApiRoutes, { services, registry, routes });
  // Attachment downloads (raw bytes, readToken auth) and previews forwarded to the previews worker.
  await app.register(attachmentRoutes, { services });
  await app.register(previewsForwardRoutes, { services });
  // HF series on the API port too (the SDK posts to {apiEndpoint}events/{id}/series): same handlers as the HFS workers.
  await app.register(seriesRoutes, { services });
  attachSocketServer(app, services, registry);
  // Webhook calls go out from API workers only (docs/operations.md "Webhooks").
  const delivery = webhookDeliveryHooks(app, services);
  const depth = 'Webhook deliveries in this core\'s API workers: calls under way and changes being queued (summed).';
  services.metrics.gauge('homecore_webhook_queue', depth, 'sum', () => delivery.depth.inFlight, { state: 'in_flight' });
  services.metrics.gauge('homecore_webhook_queue', depth, 'sum', () => delivery.depth.enqueuing, { state: 'enqueuing' });
  return app;
}
