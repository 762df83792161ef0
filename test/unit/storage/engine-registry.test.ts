import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logging/logger.js';
import { availableEngines, EngineUnavailableError, engineNames, loadEngine } from '../../../src/storage/engine-registry.js';

/** createEngine's registry (issue #14): every `storages.engine` name is known; a missing directory is refused by name. */
const ENGINES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/storage/engines');
const present = (name: string): boolean => existsSync(join(ENGINES, name, 'index.ts'));

describe('engine registry', () => {
  it('knows every name storages.engine accepts', () => {
    expect(engineNames().sort()).toEqual(['mongodb', 'postgresql']);
  });

  it('loads the postgresql engine module, which names itself', async () => {
    const engine = await loadEngine('postgresql');
    expect(engine.name).toBe('postgresql');
    // An external server: nothing to provision.
    const external = loadConfig({ env: { HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false', HOMECORE_STORAGES__POSTGRESQL__PASSWORD: 'x' } });
    expect(engine.provision(external, createLogger({ level: 'silent', role: 'test' }))).toBeNull();
  });

  it('lists as available exactly the engines whose directory exists', async () => {
    expect(await availableEngines()).toEqual(engineNames().filter(present));
  });

  it('refuses an engine absent from the build with a message naming it, and loads it once present', async () => {
    if (present('mongodb')) {
      expect((await loadEngine('mongodb')).name).toBe('mongodb');
    } else {
      const err = await loadEngine('mongodb').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineUnavailableError);
      expect((err as Error).message).toMatch(/storages\.engine "mongodb" is not available in this build/);
    }
  });
});
