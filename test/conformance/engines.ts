import { inject } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { PostgresEngine } from '../../src/storage/engines/postgresql/engine.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { createPgStores } from '../../src/storage/engines/postgresql/stores.js';
import type { StorageEngine } from '../../src/storage/interfaces/storage-engine.js';
import type { EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import { createTestDatabase } from '../helpers/pg-database.js';

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
    const opened: StorageEngine[] = [];
    return {
      open() {
        const engine = new PostgresEngine(db.settings, logger, { poolSize: 2 });
        opened.push(engine);
        return engine;
      },
      async openStores(eventsPolicy) {
        const engine = new PostgresEngine(db.settings, logger, { poolSize: 4 });
        opened.push(engine);
        await engine.migrate();
        return createPgStores(engine.pool, new Map(), eventsPolicy);
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
