import { inject } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../src/config/index.js';
import { loadEngine } from '../../src/storage/engine-registry.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import type { StorageEngine } from '../../src/storage/interfaces/storage-engine.js';
import type { UserDataEngine } from '../../src/storage/interfaces/engine-module.js';
import type { EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import { createTestDatabase, pgEnv } from '../helpers/pg-database.js';

/** One fresh, empty database of an engine; `open()` may be called several times (several processes). */
export interface EngineDatabase {
  open(): StorageEngine;
  /** The resource stores of a migrated engine on this database (store conformance suites). */
  openStores(eventsPolicy?: EventsStorePolicy): Promise<Stores>;
  /** Closes every engine opened on it, then drops the database. */
  dispose(): Promise<void>;
}

export interface EngineFixture {
  name: StorageEngine['name'];
  freshDatabase(): Promise<EngineDatabase>;
}

const logger = createLogger({ level: 'silent', role: 'conformance' });

const postgresql: EngineFixture = {
  name: 'postgresql',
  async freshDatabase() {
    const services = inject('services');
    const db = await createTestDatabase(services.pg, services.pgAdmin);
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: tmpdir(), ...pgEnv(db.settings) } });
    const module = await loadEngine(config.storages.engine);
    const opened: UserDataEngine[] = [];
    const open = (poolSize: number): UserDataEngine => {
      const engine = module.open(config, logger, { poolSize });
      opened.push(engine);
      return engine;
    };
    return {
      open: () => open(2),
      async openStores(eventsPolicy) {
        const engine = open(4);
        await engine.migrate();
        return engine.stores(eventsPolicy);
      },
      async dispose() {
        await Promise.all(opened.map((e) => e.close()));
        await db.drop();
      },
    };
  },
};

/**
 * Every storage engine the conformance suites run against. MongoDB joins this list when its engine
 * lands (src/storage/engines/mongodb/), with a fixture creating a fresh database per call.
 */
export const engines: EngineFixture[] = [postgresql];
