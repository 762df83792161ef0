import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { loadEngine } from '../../src/storage/engine-registry.js';
import { resolveRqlited, rqlitedArgs } from '../../src/master/rqlited.js';
import { Sidecar } from '../../src/sidecar/sidecar.js';
import { rqlitedClassifier } from '../../src/sidecar/sidecar-log.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { sleep } from '../../src/util/backoff.js';
import { freePorts } from './free-port.js';
import { pgAdminSettings, pgAppSettings, type PgSettings } from './pg-database.js';

export interface ServiceInfo {
  pg: PgSettings;
  /** Superuser on the same server: creates and drops per-file databases. */
  pgAdmin: PgSettings;
  rqliteUrl: string;
  varDir: string;
}

/**
 * Real PostgreSQL and rqlited for the integration tests, started with the same code the master uses.
 * Throws (failing the run loudly) when either cannot start, after a second try on other ports (a
 * port probed free can still be taken before the service binds it).
 */
export async function startTestServices(): Promise<{ info: ServiceInfo; stop: () => Promise<void> }> {
  const attempts = 2;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (attempt >= attempts) throw err;
      console.error(`test services did not start (${(err as Error).message}); trying again on other ports`);
    }
  }
}

async function startOnce(): Promise<{ info: ServiceInfo; stop: () => Promise<void> }> {
  const varDir = mkdtempSync(join(tmpdir(), 'homecore-test-'));
  // The unprivileged PostgreSQL user must be able to traverse it.
  chmodSync(varDir, 0o755);
  const [pgPort, httpPort, raftPort] = await freePorts(3) as [number, number, number];
  const config = loadConfig({
    env: {
      HOMECORE_PATHS__VAR_DIR: varDir,
      HOMECORE_STORAGES__POSTGRESQL__PORT: String(pgPort),
      HOMECORE_STORAGES__POSTGRESQL__DATABASE: 'homecore_test',
      HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: String(httpPort),
      HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `127.0.0.1:${raftPort}`,
      HOMECORE_CORE__ID: 'test-core',
      HOMECORE_LOGGING__LEVEL: 'warn',
    },
  });
  const logger = createLogger({ level: 'warn', role: 'test-services' });
  const rqlited = new Sidecar(
    {
      name: 'rqlited',
      command: resolveRqlited(config).path,
      args: rqlitedArgs(config),
      pidFile: join(varDir, 'run', 'rqlited.pid'),
      restartBackoff: config.platformDb.rqlited.restartBackoff,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 10_000,
      // Its fatal lines at error level: they say why it would not start.
      classifier: rqlitedClassifier,
    },
    logger,
  );
  // The engine's embedded server, provisioned by the same code as the master's (engine.provision).
  const storage = await loadEngine(config.storages.engine);
  storage.prepare(config);
  const db = storage.provision(config, logger);
  if (db === null) throw new Error('the test services expect an embedded database server');
  const stop = async (): Promise<void> => {
    await db.stop();
    await rqlited.stop();
    rmSync(varDir, { recursive: true, force: true });
  };
  try {
    rqlited.start();
    const client = new RqliteClient({ url: `http://127.0.0.1:${httpPort}`, requestTimeoutMs: 2000, retryBudgetMs: 0, logger });
    const deadline = Date.now() + 30_000;
    while (!(await client.isReady(1000)).ok) {
      if (Date.now() > deadline) throw new Error('rqlited did not become ready for the tests');
      await sleep(100);
    }
    await client.close();
    await db.start();
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { info: { pg: pgAppSettings(config), pgAdmin: pgAdminSettings(config), rqliteUrl: `http://127.0.0.1:${httpPort}`, varDir }, stop };
}
