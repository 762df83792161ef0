import type { EngineModule } from '../../interfaces/engine-module.js';
import { databaseSettings } from './database-password.js';
import { EmbeddedPostgresSidecar } from './embedded-postgres.js';
import { PostgresEngine } from './engine.js';
import { ChangeFeed } from './change-feed.js';
import { runFailover } from './failover-command.js';
import { viaLocalSocket } from './local-socket.js';

/** PostgreSQL: embedded (a sidecar of the master, `storages.postgresql.embedded`) or external. */
export const engine: EngineModule = {
  name: 'postgresql',
  prepare(config) {
    databaseSettings(config, { create: true });
  },
  provision(config, logger) {
    return config.storages.postgresql.embedded ? new EmbeddedPostgresSidecar(config, logger) : null;
  },
  failover: runFailover,
  openChangeFeed(config, logger, options) {
    return new ChangeFeed(databaseSettings(config, { create: false }), logger, options);
  },
  open(config, logger, options = {}) {
    return new PostgresEngine(viaLocalSocket(config, databaseSettings(config, { create: false })), logger, options);
  },
};
