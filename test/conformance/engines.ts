import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { availableEngines, loadEngine } from '../../src/storage/engine-registry.js';
import type { EngineName, UserDataEngine } from '../../src/storage/interfaces/engine-module.js';
import type { EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import type { StorageEngine } from '../../src/storage/interfaces/storage-engine.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';

/**
 * What an engine gives the engine-parameterized suites (test/engines/<name>/fixture.ts). Its server
 * is the run's (started by the global setup); a server that cannot be reached makes
 * `freshDatabase()` throw, which fails the suites: never a skip.
 */
export interface EngineTestFixture {
  name: EngineName;
  /** A fresh, empty database: the `HOMECORE_*` variables pointing a configuration at it, and its drop. */
  freshDatabase(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }>;
}

/**
 * One line per engine (docs/architecture.md#storage-engines-the-registry). An engine present in the
 * registry without its line here fails the run (below).
 */
const FIXTURES: Partial<Record<EngineName, () => Promise<{ fixture: EngineTestFixture }>>> = {
  postgresql: () => import('../engines/postgresql/fixture.js'),
};

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
      const db = await test.freshDatabase();
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

async function load(): Promise<EngineFixture[]> {
  const names = await availableEngines();
  const missing = names.filter((n) => FIXTURES[n] === undefined);
  if (missing.length > 0) {
    throw new Error(`engine(s) ${missing.join(', ')} in src/storage/engine-registry.ts without a test fixture line in test/conformance/engines.ts`);
  }
  return Promise.all(names.map(async (n) => engineFixture((await (FIXTURES[n] ?? (() => Promise.reject(new Error(n))))()).fixture)));
}

/** Every engine of this build (src/storage/engine-registry.ts): each suite runs once per engine. */
export const engines: EngineFixture[] = await load();
