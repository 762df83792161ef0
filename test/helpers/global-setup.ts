import type { TestProject } from 'vitest/node';
import type { EngineName } from '../../src/storage/interfaces/engine-module.js';
import { startEngineServers, type ServerInfo } from '../engines/fixtures.js';
import { startTestServices, type ServiceInfo } from './test-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceInfo;
    /** The test servers engines start for themselves (test/engines/fixtures.ts), by engine. */
    engineServers: Partial<Record<EngineName, ServerInfo>>;
  }
}

/**
 * One PostgreSQL and one rqlited for the whole integration run, plus the server of every other
 * engine of the build; each test file isolates itself. Any of them failing to start fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { info, stop } = await startTestServices();
  project.provide('services', info);
  let engines: Awaited<ReturnType<typeof startEngineServers>>;
  try {
    engines = await startEngineServers(info.varDir);
  } catch (err) {
    await stop();
    throw err;
  }
  project.provide('engineServers', engines.info);
  return async () => {
    await engines.stop();
    await stop();
  };
}
