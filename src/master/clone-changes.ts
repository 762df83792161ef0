import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { isChangeMessage } from '../notifications/messages.js';
import { databaseSettings } from '../secrets/database-password.js';
import { ChangeFeed } from '../storage/engines/postgresql/change-feed.js';
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
  const feed = new ChangeFeed(databaseSettings(config, { create: false }), logger, {
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
