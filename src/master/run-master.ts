import { BackupSchedule } from './backup-schedule.js';
import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { CoresRepository } from '../platform/cores.js';
import { migratePlatform } from '../platform/migrate.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { createPlatformClient } from '../platform/platform-client.js';
import { CoreCluster } from './core-cluster.js';
import { applyBundle } from '../cluster/join.js';
import { peekVarDir } from '../config/load.js';
import { loadEngine } from '../storage/engine-registry.js';
import type { EngineModule } from '../storage/interfaces/engine-module.js';
import { sleep } from '../util/backoff.js';
import { loadSecrets } from '../secrets/core-secrets.js';
import { commandLine, isAlive, readPid, reapStale, removePid, writePid } from '../sidecar/pidfile.js';
import { assertModeSupported, resolveRqlited } from './rqlited.js';
import { Sidecar } from '../sidecar/sidecar.js';
import { MetricsServer } from '../metrics/metrics-server.js';
import { rqlitedClassifier } from '../sidecar/sidecar-log.js';
import { WorkerPool } from './worker-pool.js';
import { adminKeyHint } from './admin-key-hint.js';
import { AvailabilityReporter } from './availability.js';
import { startCloneChanges } from './clone-changes.js';
import type { ChangeFeed } from '../storage/interfaces/change-feed.js';
import { startDnsServer, type RunningDns } from '../dns/dns-server.js';
import { PlatformDb } from '../platform/platform-db.js';

export interface MasterOptions {
  configFile?: string | undefined;
  /** `--bootstrap <bundle>` and `--bootstrap-passphrase-file <f>`: join a cluster (docs/operations.md). */
  bootstrap?: { bundle: string; passphraseFile: string } | undefined;
}

function runDir(config: Readonly<Config>): string {
  return join(config.paths.varDir, 'run');
}

/** Refuses to start beside a live master; cleans what a killed one left behind. */
async function takeOver(config: Readonly<Config>, log: Logger): Promise<void> {
  const masterPidFile = join(runDir(config), 'master.pid');
  const previous = readPid(masterPidFile);
  if (previous !== null && previous !== process.pid && isAlive(previous) && /master/.test(commandLine(previous) ?? '')) {
    throw new Error(`another master (pid ${previous}) runs on ${config.paths.varDir}`);
  }
  if (previous !== null) log.warn({ stalePid: previous }, 'stale master pid file: previous master did not stop cleanly');
  const rq = await reapStale(join(runDir(config), 'rqlited.pid'), /rqlited/);
  if (rq !== null) log.warn({ stalePid: rq }, 'stopped an rqlited left by a previous master');
  writePid(masterPidFile, process.pid);
}

async function waitRqliteReady(client: RqliteClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await client.isReady(1000);
    if (r.ok) return;
    last = r.detail;
    await sleep(100);
  }
  throw new Error(`rqlited not ready after ${timeoutMs} ms: ${last}`);
}

/**
 * The master: sidecars (rqlited, the storage engine's embedded server) → migrations → workers; then supervises them
 * and drains on SIGTERM/SIGINT (docs/operations.md).
 */
export async function runMaster(options: MasterOptions): Promise<void> {
  if (options.configFile !== undefined) process.env['HOMECORE_CONFIG'] = options.configFile;
  const joined = options.bootstrap === undefined
    ? null
    : await applyBundle(peekVarDir({ configFile: options.configFile }), options.bootstrap.bundle, options.bootstrap.passphraseFile);
  const config = loadConfig({ configFile: options.configFile });
  // Synchronous: the drain's last lines (sidecars stopped, then `stopped`) stay in order up to the exit.
  const logger = createLogger({ level: config.logging.level, role: 'master', sync: true });
  if (joined !== null) logger.info({ coreId: joined.core.id, issuer: joined.issuer.id }, 'bootstrap bundle applied: joining the cluster');
  // An engine absent from this build is refused here, before anything starts.
  const storage = await loadEngine(config.storages.engine);
  mkdirSync(runDir(config), { recursive: true });
  await takeOver(config, logger);

  const binary = resolveRqlited(config);
  // Created first: it generates the rqlite credential rqlited's `-auth` flag names.
  const platform = createPlatformClient(config, logger, { createCredential: true });
  const coreCluster = new CoreCluster(config, logger, platform);
  assertModeSupported(config, binary);
  logger.info({ version: binary.version, source: binary.source, multiCoreSafe: binary.multiCoreSafe }, 'rqlited binary');
  const rqlited = new Sidecar(
    {
      name: 'rqlited',
      command: binary.path,
      args: () => coreCluster.args(),
      pidFile: join(runDir(config), 'rqlited.pid'),
      restartBackoff: config.platformDb.rqlited.restartBackoff,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 10_000,
      classifier: rqlitedClassifier,
    },
    logger,
  );
  // The engine's embedded server (embedded PostgreSQL), or null for an external one.
  const dbServer = storage.provision(config, logger);
  const workers = new WorkerPool(config, logger);
  const availability = new AvailabilityReporter(config, logger, platform, () => workers.coreState, () => workers.setState({ starting: false }));
  // platformDb.rqlited.external: an rqlited supervised elsewhere (tests share one); never started here.
  const ownRqlited = !config.platformDb.rqlited.external;
  const platformDb = new PlatformDb(platform, config.platformDb.cache);
  let dns: RunningDns | null = null;
  const backups = new BackupSchedule(config, logger);
  let changes: ChangeFeed | null = null;
  // /metrics on its own port (docs/operations.md#metrics): the workers' figures summed over cluster IPC.
  const metrics = new MetricsServer(config, logger, { ready: () => !workers.coreState.draining && workers.coreState.failedRoles.length === 0 });

  // The embedded database server starts (initdb at the first start) while rqlited elects itself;
  // its failure is kept for the await below, so it never surfaces as an unhandled rejection.
  let dbStarting: Promise<Error | null> | null = null;
  let stopping: Promise<void> | null = null;
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal, drainMs: config.cluster.drainMs }, 'draining: /ready now answers 503');
    workers.setState({ draining: true });
    await availability.markUnavailable();
    await sleep(config.cluster.drainMs);
    logger.info('drain over: closing workers');
    backups.stop();
    coreCluster.stop();
    await workers.stop(config.cluster.shutdownTimeoutMs);
    await changes?.close();
    await dns?.close().catch(() => undefined);
    await metrics.close();
    platformDb.close();
    await availability.close();
    await platform.close().catch(() => undefined);
    // rqlited last: workers may use the platform DB until they are gone.
    await dbStarting;
    await dbServer?.stop();
    await rqlited.stop();
    removePid(join(runDir(config), 'master.pid'));
    logger.info('stopped');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== null) {
      logger.warn({ signal }, 'second signal: forcing exit');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      for (const pid of [rqlited.pid, dbServer?.pid]) if (pid !== undefined) process.kill(pid, 'SIGKILL');
      process.exit(1);
    }
    stopping = shutdown(signal).then(
      () => process.exit(0),
      (err: Error) => {
        logger.fatal({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    // Generated once here, before any worker: workers only ever read them.
    loadSecrets(config, { create: true });
    storage.prepare(config);
    // Workers load their code during the sidecars' start; they serve from workers.start() on.
    workers.forkAll();
    if (ownRqlited) {
      coreCluster.prepareDataDir();
      rqlited.start();
    }
    dbStarting = dbServer === null ? null : dbServer.start().then(() => null, (err: Error) => err);
    await waitRqliteReady(platform, config.platformDb.rqlited.readyTimeoutMs);
    // An external rqlited (platformDb.rqlited.external) and its cluster are managed elsewhere.
    if (ownRqlited) await coreCluster.confirmMembership(config.platformDb.rqlited.readyTimeoutMs);
    const dbFailed = await dbStarting;
    if (dbFailed !== null) throw dbFailed;
    await migrate(config, logger, platform, storage);
    if (ownRqlited) await coreCluster.register();
    // Before the workers serve: no change they announce is missed by the other clones.
    changes = await startCloneChanges(config, logger, workers);
    await workers.start();
    await coreCluster.acknowledge();
    if (ownRqlited) coreCluster.startReconciling(rqlited, config.platformDb.rqlited.readyTimeoutMs);
    // Available for placement only now that workers serve (the row was registered unavailable).
    await availability.tick();
    availability.start();
    if (config.dns.enabled) dns = await startDnsServer(config, platformDb, logger);
    backups.start();
    await metrics.listen();
  } catch (err) {
    coreCluster.stop();
    logger.fatal({ err: (err as Error).message }, 'start failed');
    await dns?.close().catch(() => undefined);
    await changes?.close();
    await metrics.close();
    platformDb.close();
    await availability.close();
    await workers.stop(2000).catch(() => undefined);
    // A database server still starting would be left running by a stop that came first.
    await dbStarting;
    await dbServer?.stop();
    await rqlited.stop();
    removePid(join(runDir(config), 'master.pid'));
    throw err;
  }
  logger.info(
    { api: config.http.apiPort, hfs: config.http.hfsPort, previews: config.http.previewsPort, pids: workers.pids() },
    `core "${config.core.id}" ready at ${config.core.url ?? config.platform.publicUrl}`,
  );
  const hint = adminKeyHint(config);
  logger.info({ adminKey: hint.adminKey, example: hint.example }, hint.message);
}

/** Platform and user-data migrations, run once by the master before any worker starts. */
async function migrate(config: Readonly<Config>, logger: Logger, platform: RqliteClient, storage: EngineModule): Promise<void> {
  const owner = `${config.core.id}:${process.pid}`;
  await migratePlatform(platform, { owner, logger });
  await new CoresRepository(platform).upsert({
    id: config.core.id,
    url: config.core.url ?? config.platform.publicUrl,
    hosting: config.registration.hosting,
    available: false,
    // A clone starting must not take its core out while the other clones serve (core_instances decide).
    keepAvailable: config.core.cloneId !== null,
    ip: config.core.ip,
    zone: config.registration.zone,
    region: config.registration.region,
    hostingName: config.registration.hostingName,
  });
  const engine = storage.open(config, logger, { poolSize: 2 });
  try {
    // migrations.autoRun false (clones upgraded one at a time): bin/migrate does it; refuse a schema
    // this release cannot serve (docs/operations.md#rolling-upgrade).
    if (config.migrations.autoRun) await engine.migrate();
    else logger.info('migrations.autoRun is false: PostgreSQL migrations left to bin/migrate');
    await engine.assertServable();
    await engine.claim(config.core.id);
  } finally {
    await engine.close();
  }
}
