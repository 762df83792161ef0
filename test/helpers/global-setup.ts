import type { TestProject } from 'vitest/node';
import { startTestServices, type ServiceInfo } from './test-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceInfo;
  }
}

/** One PostgreSQL and one rqlited for the whole integration run; each test file isolates itself. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { info, stop } = await startTestServices();
  project.provide('services', info);
  return stop;
}
