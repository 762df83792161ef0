import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { lastBackupAt } from './backup-stamp.js';

/** `metrics.bindAddress`; null = `http.bindAddress` when it is loopback, else 127.0.0.1 (never public by default). */
export function metricsBindAddress(config: Readonly<Config>): string {
  if (config.metrics.bindAddress !== null) return config.metrics.bindAddress;
  const h = config.http.bindAddress;
  return h.startsWith('127.') || h === '::1' || h === 'localhost' ? h : '127.0.0.1';
}

/** The master's own figures, beside the workers' sums. */
function masterRegistry(config: Readonly<Config>, extra: MasterSources): Registry {
  const registry = new Registry();
  const backupAge = new Gauge({
    name: 'homecore_backup_age_seconds',
    help: 'Seconds since the last successful backup (markBackupDone() in src/metrics/backup-stamp.ts); +Inf when none was recorded, so an age alert fires.',
    registers: [registry],
    collect() {
      const at = lastBackupAt(config);
      this.set(at === null ? Number.POSITIVE_INFINITY : Math.max(0, Date.now() / 1000 - at));
    },
  });
  new Gauge({
    name: 'homecore_backup_last_success_timestamp_seconds',
    help: 'Unix time of the last successful backup; 0 when none was recorded.',
    registers: [registry],
    collect() {
      this.set(lastBackupAt(config) ?? 0);
    },
  });
  new Gauge({
    name: 'homecore_core_ready',
    help: '1 while the core serves (not draining, no crash-looping role), else 0.',
    registers: [registry],
    collect() {
      this.set(extra.ready() ? 1 : 0);
    },
  });
  void backupAge;
  return registry;
}

export interface MasterSources {
  /** The core state as the master sees it. */
  ready: () => boolean;
}

/**
 * `/metrics` of a core (issue #13): the master asks every cluster worker for its registry over the
 * cluster IPC channel (prom-client's AggregatorRegistry) and answers the sum, then its own gauges.
 * Served on `metrics.port`, never on a public API port; a scrape that a worker does not answer in
 * 5 s (one restarting) answers the master's own figures and `homecore_metrics_workers_answered 0`.
 */
export class MetricsServer {
  private readonly aggregator = new AggregatorRegistry();
  private readonly own: Registry;
  private server: Server | null = null;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
    sources: MasterSources,
  ) {
    this.own = masterRegistry(config, sources);
  }

  async text(): Promise<string> {
    let workers = '';
    let answered = 1;
    try {
      workers = await this.aggregator.clusterMetrics();
    } catch (err) {
      answered = 0;
      this.logger.warn({ component: 'metrics', err: (err as Error).message }, 'workers did not answer the scrape');
    }
    const head = `# HELP homecore_metrics_workers_answered 1 when every worker answered this scrape.\n# TYPE homecore_metrics_workers_answered gauge\nhomecore_metrics_workers_answered ${answered}\n`;
    return `${workers.endsWith('\n') || workers === '' ? workers : `${workers}\n`}${await this.own.metrics()}${head}`;
  }

  /** Listens; a port that cannot be bound is logged, never fatal (metrics are not the service). */
  async listen(): Promise<number | null> {
    if (!this.config.metrics.enabled) return null;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if ((req.method !== 'GET' && req.method !== 'HEAD') || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      this.text().then(
        (body) => res.writeHead(200, { 'content-type': this.aggregator.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    const host = metricsBindAddress(this.config);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.metrics.port, host, () => resolve());
      });
    } catch (err) {
      this.logger.error({ component: 'metrics', host, port: this.config.metrics.port, err: (err as Error).message }, 'metrics port not available: /metrics is off');
      return null;
    }
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.logger.info({ component: 'metrics', host, port }, 'metrics listening');
    return port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
