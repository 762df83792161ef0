import type { FastifyInstance } from 'fastify';
import type { Services } from '../api/context.js';
import { buildRegistry } from '../api/modules.js';
import type { Readiness } from '../health/readiness.js';
import { buildApp } from './app.js';
import { corsHooks } from './plugins/cors.js';
import { formBodyParser } from './form-body.js';
import { regRoutes } from './reg-routes.js';
import { accessRequestRoutes } from './access-request-routes.js';
import { systemRoutes } from './system-routes.js';
import { userApiRoutes } from './user-api.js';
import { openApiDocument } from './openapi.js';

/** The API worker's app: health, CORS, registration/discovery and every `/{username}/…` method. */
export async function buildApiApp(services: Services, readiness: Readiness): Promise<FastifyInstance> {
  const app = await buildApp({ config: services.config, logger: services.logger, role: 'api', readiness });
  corsHooks(app);
  formBodyParser(app);
  const { registry, routes } = buildRegistry();
  await app.register(regRoutes, { services });
  await app.register(accessRequestRoutes, { services });
  await app.register(systemRoutes, { services });
  const openApi = openApiDocument(registry, routes, services.config.platform.publicUrl);
  app.get('/openapi.json', async () => openApi);
  await app.register(userApiRoutes, { services, registry, routes });
  return app;
}
