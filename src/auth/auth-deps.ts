import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { Stores } from '../storage/interfaces/stores.js';
import type { AccessCache } from './access-cache.js';
import type { TokenVault } from './crypto.js';

/**
 * What authentication reads: the worker's services (src/api/context.ts) satisfy it as they are.
 * Declared here so that auth depends on nothing above it (layers.json).
 */
export interface AuthDeps {
  config: Readonly<Config>;
  vault: TokenVault;
  accessCache: AccessCache;
  stores: Pick<Stores, 'accesses'>;
}

/** What the attempt limits read and write. */
export interface AttemptDeps {
  config: Readonly<Config>;
  logger: Logger;
  stores: Pick<Stores, 'attempts'>;
}
