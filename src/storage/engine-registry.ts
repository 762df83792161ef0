import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { EngineModule, EngineName, OpenOptions, UserDataEngine } from './interfaces/engine-module.js';

/**
 * The user-data engines, keyed by `storages.engine` (issue #14). The only file outside
 * src/storage/engines/<name>/ that imports an engine (test/unit/layers/engines.test.ts): adding an
 * engine is a directory with an `index.ts` exporting `engine: EngineModule`, and its line here.
 */
const ENGINES: Record<EngineName, () => Promise<unknown>> = {
  postgresql: () => import('./engines/postgresql/index.js'),
  mongodb: () => importIfPresent('./engines/mongodb/index.js'),
};

/** An engine whose directory is not in this build: known by name, refused with a clear message. */
export class EngineUnavailableError extends Error {
  constructor(readonly engine: EngineName) {
    super(`storages.engine "${engine}" is not available in this build (no src/storage/engines/${engine}/)`);
    this.name = 'EngineUnavailableError';
  }
}

const ABSENT = Symbol('absent');

/** Imports a module only if its file exists (compiled `.js` or, under vitest, its `.ts` source). */
async function importIfPresent(specifier: string): Promise<unknown> {
  const url = new URL(specifier, import.meta.url);
  const path = fileURLToPath(url);
  if (!existsSync(path) && !existsSync(path.replace(/\.js$/, '.ts'))) return ABSENT;
  return import(url.href);
}

function isEngineModule(value: unknown, name: EngineName): value is EngineModule {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<Record<keyof EngineModule, unknown>>;
  return m.name === name && typeof m.prepare === 'function' && typeof m.provision === 'function' && typeof m.open === 'function';
}

export function engineNames(): EngineName[] {
  return Object.keys(ENGINES) as EngineName[];
}

/** The engine module of `name`; throws EngineUnavailableError when its directory is absent. */
export async function loadEngine(name: EngineName): Promise<EngineModule> {
  const load = ENGINES[name];
  if (load === undefined) throw new Error(`unknown storages.engine "${String(name)}"`);
  const mod = await load();
  if (mod === ABSENT) throw new EngineUnavailableError(name);
  const engine = (mod as { engine?: unknown }).engine;
  if (!isEngineModule(engine, name)) throw new Error(`src/storage/engines/${name}/index.ts does not export a valid \`engine\``);
  return engine;
}

/** The engines present in this build (the conformance suite runs against each). */
export async function availableEngines(): Promise<EngineName[]> {
  const present: EngineName[] = [];
  for (const name of engineNames()) {
    try {
      await loadEngine(name);
      present.push(name);
    } catch (err) {
      if (!(err instanceof EngineUnavailableError)) throw err;
    }
  }
  return present;
}

/** The engine `storages.engine` names, opened on the configured database. */
export async function createEngine(config: Readonly<Config>, logger: Logger, options?: OpenOptions): Promise<UserDataEngine> {
  return (await loadEngine(config.storages.engine)).open(config, logger, options);
}
