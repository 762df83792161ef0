import type pg from 'pg';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { AccessCache } from '../auth/access-cache.js';
import { TokenVault } from '../auth/crypto.js';
import { EventTypes } from '../domain/event-types.js';
import { PlatformDb } from '../platform/platform-db.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import type { CoreSecrets } from '../secrets/core-secrets.js';
import { createPgStores } from '../storage/engines/postgresql/stores.js';
import type { Notifier, Services } from './context.js';
import { noPasswordResetMailer } from './account/reset-mailer.js';

export interface ServicesDeps {
  config: Readonly<Config>;
  logger: Logger;
  secrets: CoreSecrets;
  pool: pg.Pool;
  rqlite: RqliteClient;
  notifier?: Notifier;
}

/** Notifications are wired to Socket.IO and webhooks later; until then a change is only logged. */
function loggingNotifier(logger: Logger): Notifier {
  const log = logger.child({ component: 'notifications' });
  return { emit: (username, change) => log.debug({ username, change }, 'change') };
}

/** Everything a method needs, built once per worker (and per test app). */
export function buildServices(deps: ServicesDeps): Services & { close: () => Promise<void> } {
  const stores = createPgStores(deps.pool);
  const accessCache = new AccessCache(stores.accesses, deps.config.auth.accessCacheMs, deps.logger);
  return {
    config: deps.config,
    logger: deps.logger,
    secrets: deps.secrets,
    vault: new TokenVault(deps.secrets.tokenSecret),
    stores,
    platform: new PlatformDb(deps.rqlite),
    accessCache,
    eventTypes: new EventTypes(),
    notifier: deps.notifier ?? loggingNotifier(deps.logger),
    mailer: noPasswordResetMailer,
    close: () => accessCache.close(),
  };
}
