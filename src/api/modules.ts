import type { ApiModule } from './module.js';
import { MethodRegistry } from './registry.js';
import type { RouteSpec } from './routes.js';
import { authModule } from './auth/index.js';

/** Every API resource module. A method is reachable over HTTP, batch and Socket.IO once listed here. */
export const API_MODULES: ApiModule[] = [authModule];

export function buildRegistry(modules: ApiModule[] = API_MODULES): { registry: MethodRegistry; routes: RouteSpec[] } {
  const registry = new MethodRegistry();
  const routes: RouteSpec[] = [];
  for (const m of modules) {
    for (const def of m.methods) registry.register(def);
    for (const [alias, id] of Object.entries(m.aliases ?? {})) registry.alias(alias, id);
    routes.push(...m.routes);
  }
  return { registry, routes };
}
