import { defineConfig } from 'vitest/config';

/**
 * Two projects (docs/testing.md):
 * - unit: no I/O beyond loopback fakes; parallel.
 * - integration: real PostgreSQL and rqlited started by test/helpers/global-setup.ts (a service that
 *   fails to start fails the run), plus tests that start whole cores; files run one at a time
 *   because a core forks several processes and this machine has 2 cores.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/conformance/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
