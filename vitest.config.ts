import { defineConfig } from 'vitest/config';

/**
 * The scenario suites that the api-mongodb project runs on the mongodb engine too (issue #14): the
 * API methods through app.inject(), the pryv SDK against a whole core, and the suites of webhooks,
 * series, sockets, attachments, audit, concurrency, integrity check, caches and hostile input. They
 * reach stored records only through the stores or t.records (test/engines/fixtures.ts StoredRecords).
 */
const API_SUITES = [
  'test/integration/api-*.test.ts',
  'test/integration/sdk-e2e.test.ts',
  'test/integration/webhooks*.test.ts',
  'test/integration/series*.test.ts',
  'test/integration/socket*.test.ts',
  'test/integration/attachment*.test.ts',
  'test/integration/audit-*.test.ts',
  'test/integration/concurrent-updates.test.ts',
  'test/integration/integrity-check.test.ts',
  'test/integration/access-cache.test.ts',
  'test/integration/stream-tree-cache.test.ts',
  'test/integration/permission-matrix.test.ts',
  'test/integration/user-context.test.ts',
  'test/integration/edge-input.test.ts',
  'test/integration/fuzz-edge.test.ts',
];

/**
 * Whole-core life-cycle suites (several cores, signals, restarts, a scheduled backup): the longest
 * files, mostly waiting on processes. The cores project runs them; bin/test runs it in the background
 * after the docker and ha projects, so they stay off the foreground's critical path.
 */
const CORE_SUITES = [
  'test/integration/cluster.test.ts',
  'test/integration/cluster-from-single.test.ts',
  'test/integration/master-lifecycle.test.ts',
  'test/integration/master-supervision.test.ts',
  'test/integration/multi-core.test.ts',
  'test/integration/backup-schedule.test.ts',
  'test/integration/keys-transfer.test.ts',
];

/**
 * The projects (docs/testing.md):
 * - unit: no I/O beyond loopback fakes; parallel.
 * - integration: real PostgreSQL and rqlited started by test/helpers/global-setup.ts (a service that
 *   fails to start fails the run), plus tests that start whole cores; files run one at a time
 *   because a core forks several processes and this machine has 2 cores.
 * - cores: the whole-core life-cycle suites (CORE_SUITES), like integration but in the background.
 * - api-mongodb: the scenario suites of integration (API_SUITES) again, on the mongodb engine.
 * - docker: the image built and run as an operator would (test/docker/, docs/testing.md#docker);
 *   installs and starts Docker itself. bin/test runs it in its own vitest process beside the others.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // An engine's own unit tests live beside its integration tests (test/engines/<name>/unit/).
          include: ['test/unit/**/*.test.ts', 'test/engines/*/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/engines/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/engines/*/unit/**', ...CORE_SUITES],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'cores',
          include: CORE_SUITES,
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The API scenario suites again, with their apps and the cores they start on the mongodb engine
        // (TEST_STORAGE_ENGINE, test/helpers/api-app.ts) on the run's FerretDB. bin/test runs it in the
        // background beside unit + integration (docs/testing.md#the-api-suites-on-mongodb).
        test: {
          name: 'api-mongodb',
          include: API_SUITES,
          environment: 'node',
          // The fuzz pass (fuzz-edge.test.ts) gets 20 s of its 45 s here: every route still gets
          // its cases, fewer of them; the full pass runs on PostgreSQL in integration.
          env: { TEST_STORAGE_ENGINE: 'mongodb', HOMECORE_FUZZ_BUDGET_MS: '20000' },
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          // Three times integration's: the embedded FerretDB reads every document of a collection per
          // query (docs/mongodb.md), and this project runs niced beside the others. A batch of 500
          // events.create took 60 s there on the loaded 2-core machine.
          testTimeout: 180_000,
          hookTimeout: 360_000,
        },
      },
      {
        // bin/ha-test (docs/testing.md#ha-test): PostgreSQL failover under load and a rolling upgrade,
        // through whole cores; slower than the suite, so a command of its own.
        test: {
          name: 'ha',
          include: ['test/ha/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          environment: 'node',
          // Cold: Debian bases by debootstrap, npm ci and tsc in the image (minutes on 2 cores).
          testTimeout: 45 * 60_000,
          hookTimeout: 45 * 60_000,
        },
      },
    ],
  },
});
