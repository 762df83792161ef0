import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { inject } from 'vitest';
import { loadEngine } from '../../src/storage/engine-registry.js';
import type { EngineName, UserDataEngine } from '../../src/storage/interfaces/engine-module.js';
import type { EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import type { StorageEngine } from '../../src/storage/interfaces/storage-engine.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import { engineFixtures, type EngineTestFixture } from '../engines/fixtures.js';

/** One fresh, empty database of an engine; `open()` may be called several times (several processes). */
export interface EngineDatabase {
  open(): StorageEngine;
  /** The resource stores of a migrated engine on this database (store conformance suites). */
  openStores(eventsPolicy?: EventsStorePolicy): Promise<Stores>;
  /** Closes every engine opened on it, then drops the database. */
  dispose(): Promise<void>;
}

export interface EngineFixture {
  name: EngineName;
  freshDatabase(): Promise<EngineDatabase>;
}

const logger = createLogger({ level: 'silent', role: 'conformance' });

function engineFixture(test: EngineTestFixture): EngineFixture {
  return {
    name: test.name,
    async freshDatabase() {
      const db = await test.freshDatabase(inject('engineServers')[test.name]);
      const varDir = mkdtempSync(join(tmpdir(), `homecore-conformance-${test.name}-`));
      const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir, ...db.env, HOMECORE_STORAGES__ENGINE: test.name } });
      // Through the registry, as the master and the workers open it.
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
          rmSync(varDir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Every engine of this build (src/storage/engine-registry.ts): each suite runs once per engine. */
export const engines: EngineFixture[] = (await engineFixtures()).map(engineFixture);
