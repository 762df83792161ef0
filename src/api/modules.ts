import type { ApiModule } from './module.js';
import { MethodRegistry } from './registry.js';
import type { RouteSpec } from './routes.js';
import { accessesModule } from './accesses/index.js';
import { accountModule } from './account/index.js';
import { authModule } from './auth/index.js';
import { eventsModule } from './events/index.js';
import { profileModule } from './profile/index.js';
import { streamsModule } from './streams/index.js';
import { webhooksModule } from './webhooks/index.js';
import { mfaModule } from './mfa/index.js';
import { sharedSecretsModule } from './shared-secrets/index.js';

/** Every API resource module. A method is reachable over HTTP, batch and Socket.IO once listed here. */
export const API_MODULES: ApiModule[] = [authModule, streamsModule, eventsModule, accessesModule, accountModule, profileModule, webhooksModule, mfaModule, sharedSecretsModule];

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
