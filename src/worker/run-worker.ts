import { loadConfig, workerConfig, WORKER_CONFIG_ENV, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { Readiness } from '../health/readiness.js';
import { withLeaderGrace } from '../health/leader-grace.js';
import { buildRoleApp } from '../http/role-apps.js';
import { buildServices } from './services.js';
import { stagingMaxAgeMs } from '../storage/files/attachment-files.js';
import { loadEventTypes } from '../api/service/event-types-source.js';
import { loadSecrets } from '../secrets/core-secrets.js';
import { NotificationBus } from '../notifications/bus.js';
import { isMasterMessage, type CoreState, type WorkerRole, type WorkerToMaster } from '../notifications/ipc.js';
import { createPlatformClient } from '../platform/platform-client.js';
import { createEngine } from '../storage/engine-registry.js';
import { Socket } from 'node:net';
import { ConnectionIntake } from './connection-intake.js';
import { exposeWorkerMetrics } from './worker-gauges.js';

function portOf(config: Readonly<Config>, role: WorkerRole): number {
  if (role === 'api') return config.http.apiPort;
  if (role === 'hfs') return config.http.hfsPort;
  return config.http.previewsPort;
}

/**
 * One cluster worker: load config → build app → listen → follow the master's orders. Workers ignore
 * SIGTERM/SIGINT (a terminal's Ctrl-C or a container stop reaches the whole process group): the
 * master decides when to drain and close, so in-flight requests are never cut short.
 */
export async function runWorker(role: WorkerRole): Promise<void> {
  // The master's own configuration (one validation per core); loaded here only outside a master.
  const config = workerConfig() ?? loadConfig();
  // Read once; not passed on to whatever this process might spawn.
  delete process.env[WORKER_CONFIG_ENV];
  const logger: Logger = createLogger({ level: config.logging.level, role });
  let state: CoreState = { draining: false, failedRoles: [], starting: true };

  const engine = await createEngine(config, logger);
  const platform = createPlatformClient(config, logger);
  const timeout = config.health.checkTimeoutMs;
  const dependencies: Record<string, () => Promise<{ ok: boolean; detail: string }>> = {
    [engine.name]: () => engine.health(timeout),
    platformDb: withLeaderGrace(() => platform.isReady(timeout), config.health.platformDbLeaderGraceMs),
  };
  const readiness = new Readiness({ coreState: () => state, dependencies, cacheMs: config.health.cacheMs });
  // Clones share every change through the master (src/master/clone-changes.ts), listened or not.
  const bus = NotificationBus.forProcess({ relayAll: config.core.cloneId !== null });
  // Every role serves authenticated routes (API, series, previews): same services, same rules.
  // service.eventTypesSource, read before serving; a failing source falls back to the bundled copy.
  const eventTypes = await loadEventTypes(config, logger);
  const services = buildServices({ config, logger, secrets: loadSecrets(config, { create: false }), engine, rqlite: platform, bus, eventTypes, role });
  // A full disk or an unwritable audit path fails /ready (docs/operations.md#reading-the-audit-trail).
  const audit = services.audit;
  if (audit !== null) dependencies['audit'] = () => audit.health();
  exposeWorkerMetrics(services, engine, readiness);
  const app = await buildRoleApp(role, services, readiness);
  const intake = new ConnectionIntake(app.server);
  // fastify's close sets its closing state (new requests: 503), runs preClose hooks, then closes the
  // server and runs the onClose hooks (holder flush, delivery stop). The server never listened, so
  // its close would not wait for connections: in-flight requests are awaited here instead.
  app.addHook('preClose', async () => intake.drain());

  let closing = false;
  let going = false;
  let serve: () => void = () => undefined;
  const served = new Promise<void>((resolve) => (serve = resolve));
  const close = async (reason: string, code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'worker closing');
    // Told to stop before its go (the master's start failed): nothing was opened, nothing to close.
    if (!going) process.exit(code);
    const force = setTimeout(() => process.exit(code === 0 ? 1 : code), config.cluster.shutdownTimeoutMs).unref();
    await app.close().catch((err: Error) => logger.error({ err: err.message }, 'close failed'));
    await services.close();
    await Promise.allSettled([engine.close(), platform.close()]);
    clearTimeout(force);
    process.exit(code);
  };

  process.on('SIGTERM', () => logger.debug('SIGTERM ignored: the master drives shutdown'));
  process.on('SIGINT', () => logger.debug('SIGINT ignored: the master drives shutdown'));
  process.on('message', (m: unknown, handle: unknown) => {
    if (!isMasterMessage(m)) return;
    if (m.type === 'conn') {
      // Acknowledged before anything is read from it: until then the master can hand it elsewhere.
      const ack: WorkerToMaster = { type: 'conn-ack', id: m.id };
      process.send?.(ack);
      if (handle instanceof Socket) intake.accept(handle);
    } else if (m.type === 'state') state = m.state;
    else if (m.type === 'serve') serve();
    else if (m.type === 'notify') bus.deliver(m.message);
    else if (m.type === 'listeners') {
      bus.setListened(m.usernames, m.on, m.reset);
      if (m.seq !== undefined) {
        const ack: WorkerToMaster = { type: 'listeners-ack', seq: m.seq };
        process.send?.(ack);
      }
    } else if (m.type === 'listen-ack') bus.listenAcked(m.id);
    else void close('master asked', 0);
  });
  // If the master dies (kill -9), Node's cluster code exits this worker on IPC disconnect by itself:
  // no orphan keeps serving unsupervised.
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    void close('unhandled rejection', 1);
  });

  // The master forks its workers before it has migrated the databases: nothing below runs before
  // its go (onReady hooks write to PostgreSQL). Started without a master, go on at once.
  if (process.send !== undefined) {
    const loaded: WorkerToMaster = { type: 'loaded', role };
    process.send(loaded);
    await served;
  }
  going = true;
  // Uploads a crashed API worker staged and never committed (issue #16); young ones may be in flight elsewhere.
  if (role === 'api') {
    const removed = await services.attachments.sweepStaging(stagingMaxAgeMs(config)).catch((err: Error) => {
      logger.warn({ err: err.message }, 'could not sweep staged uploads');
      return 0;
    });
    if (removed > 0) logger.info({ removed }, 'removed stale staged uploads');
  }
  // The master owns the port (src/master/connection-broker.ts) and hands over the connections.
  await app.ready();
  intake.start();
  logger.info({ port: portOf(config, role) }, 'worker ready');
  const ready: WorkerToMaster = { type: 'ready', role, port: portOf(config, role) };
  process.send?.(ready);
}
