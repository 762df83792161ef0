import type { FastifyInstance } from 'fastify';
import type { Services } from '../../src/api/context.js';
import { Readiness } from '../../src/health/readiness.js';
import { buildApiApp } from '../../src/http/api-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { buildServices } from '../../src/worker/services.js';
import type { ApiTestApp } from './api-app.js';

export interface SecondWorker {
  app: FastifyInstance;
  services: Services;
  close(): Promise<void>;
}

/**
 * A second API "worker" beside a test app: its own services (caches, and unless `bus` is given its
 * own notification bus: nothing relays between the two) on the same database, secrets and rqlite,
 * as a second node:cluster worker or a clone.
 */
export async function startSecondWorker(a: ApiTestApp, bus?: Services['bus']): Promise<SecondWorker> {
  const services = buildServices({
    config: a.config,
    logger: createLogger({ level: 'silent', role: 'test' }),
    secrets: a.services.secrets,
    engine: a.engine,
    rqlite: a.rqlite,
    ...(bus === undefined ? {} : { bus }),
  });
  const app = await buildApiApp(services, new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 }));
  await app.ready();
  return {
    app,
    services,
    close: async () => {
      await app.close();
      await services.close();
    },
  };
}
