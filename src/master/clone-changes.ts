import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { isChangeMessage } from '../notifications/messages.js';
import { loadEngine } from '../storage/engine-registry.js';
import type { ChangeFeed } from '../storage/interfaces/change-feed.js';
import { rqliteNodeId } from './rqlited.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Clones of one core (core.cloneId set, issue #13): the changes this clone's workers announce go to
 * the shared PostgreSQL feed, and the other clones' changes come back from it to every worker here,
 * as if a local worker had announced them (sockets re-check tokens on accessesChanged, webhooks
 * queue). A lone core (no clone id) keeps its changes inside the machine.
 */
export async function startCloneChanges(config: Readonly<Config>, logger: Logger, workers: WorkerPool): Promise<ChangeFeed | null> {
  if (config.core.cloneId === null) return null;
  const log = logger.child({ component: 'clone-changes' });
  const engine = await loadEngine(config.storages.engine);
  if (engine.openChangeFeed === undefined) throw new Error(`core.cloneId: storages.engine ${engine.name} cannot serve clones (no shared change feed)`);
  const feed = engine.openChangeFeed(config, logger, {
    origin: `${rqliteNodeId(config)}:${process.pid}:${randomBytes(4).toString('hex')}`,
    onRemote: (message) => {
      if (isChangeMessage(message)) workers.relay(message);
      else log.warn('ignored a malformed change row');
    },
  });
  await feed.start();
  workers.onChange = (message) => feed.append(message);
  return feed;
}
