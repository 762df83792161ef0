import { loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { Readiness } from '../health/readiness.js';
import { buildRoleApp } from '../http/role-apps.js';
import { buildServices } from '../api/services.js';
import { loadSecrets } from '../secrets/core-secrets.js';
import { NotificationBus } from '../notifications/bus.js';
import { isMasterMessage, type CoreState, type WorkerRole, type WorkerToMaster } from '../master/ipc.js';
import { createPlatformClient } from '../platform/platform-client.js';
import { PostgresEngine } from '../storage/engines/postgresql/engine.js';

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
  const config = loadConfig();
  const logger: Logger = createLogger({ level: config.logging.level, role });
  let state: CoreState = { draining: false, failedRoles: [] };

  const engine = new PostgresEngine(config.storages.postgresql, logger);
  const platform = createPlatformClient(config, logger);
  const timeout = config.health.checkTimeoutMs;
  const readiness = new Readiness({
    coreState: () => state,
    dependencies: {
      postgresql: () => engine.health(timeout),
      platformDb: () => platform.isReady(timeout),
    },
    cacheMs: config.health.cacheMs,
  });
  const bus = NotificationBus.forProcess();
  // Every role serves authenticated routes (API, series, previews): same services, same rules.
  const services = buildServices({ config, logger, secrets: loadSecrets(config, { create: false }), pool: engine.pool, rqlite: platform, bus });
  const app = await buildRoleApp(role, services, readiness);

  let closing = false;
  const close = async (reason: string, code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'worker closing');
    const force = setTimeout(() => process.exit(code === 0 ? 1 : code), config.cluster.shutdownTimeoutMs).unref();
    await app.close().catch((err: Error) => logger.error({ err: err.message }, 'close failed'));
    await services.close();
    await Promise.allSettled([engine.close(), platform.close()]);
    clearTimeout(force);
    process.exit(code);
  };

  process.on('SIGTERM', () => logger.debug('SIGTERM ignored: the master drives shutdown'));
  process.on('SIGINT', () => logger.debug('SIGINT ignored: the master drives shutdown'));
  process.on('message', (m: unknown) => {
    if (!isMasterMessage(m)) return;
    if (m.type === 'state') state = m.state;
    else if (m.type === 'notify') bus.deliver(m.message);
    else void close('master asked', 0);
  });
  // If the master dies (kill -9), Node's cluster code exits this worker on IPC disconnect by itself:
  // no orphan keeps serving unsupervised.
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    void close('unhandled rejection', 1);
  });

  await app.listen({ port: portOf(config, role), host: config.http.bindAddress });
  const ready: WorkerToMaster = { type: 'ready', role, port: portOf(config, role) };
  process.send?.(ready);
}
