import type { EngineModule } from '../../interfaces/engine-module.js';
import { EmbeddedFerretdb } from './embedded-ferretdb.js';
import { MongoEngine } from './engine.js';
import { mongoSettings } from './ferretdb.js';

/**
 * MongoDB (docs/mongodb.md): an external server (`storages.mongodb.url`, a replica set gets
 * transactions), or the embedded FerretDB the master supervises when no url is given.
 */
export const engine: EngineModule = {
  name: 'mongodb',
  prepare() {
    // Nothing generated: the embedded FerretDB listens on 127.0.0.1 without credentials.
  },
  provision(config, logger) {
    return config.storages.mongodb.url === null ? new EmbeddedFerretdb(config, logger) : null;
  },
  open(config, logger, options = {}) {
    return new MongoEngine(mongoSettings(config, options), logger);
  },
};
