import type { FastifyInstance } from 'fastify';
import type { Services } from '../api/context.js';
import type { Readiness } from '../health/readiness.js';
import type { WorkerRole } from '../master/ipc.js';
import { buildApiApp } from './api-app.js';
import { buildApp } from './app.js';

/** HFS worker (:4000): health plus the high-frequency series routes. */
export async function buildHfsApp(services: Services, readiness: Readiness): Promise<FastifyInstance> {
  return buildApp({ config: services.config, logger: services.logger, role: 'hfs', readiness });
}

/** Previews worker (:3001): health plus image previews. */
export async function buildPreviewsApp(services: Services, readiness: Readiness): Promise<FastifyInstance> {
  return buildApp({ config: services.config, logger: services.logger, role: 'previews', readiness });
}

/** The app a worker of `role` serves. */
export function buildRoleApp(role: WorkerRole, services: Services, readiness: Readiness): Promise<FastifyInstance> {
  if (role === 'api') return buildApiApp(services, readiness);
  if (role === 'hfs') return buildHfsApp(services, readiness);
  return buildPreviewsApp(services, readiness);
}
