import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { Config } from '../../../config/index.js';
import type { Logger } from '../../../logging/logger.js';
import { Sidecar } from '../../../sidecar/sidecar.js';
import { reapStale } from '../../../sidecar/pidfile.js';
import type { LineClassifier } from '../../../sidecar/sidecar-log.js';
import { ferretdbArgs, ferretdbDataDir, resolveFerretdb } from './ferretdb.js';

const READY_TIMEOUT_MS = 30_000;

/**
 * FerretDB's text log lines carry their level (`level=WARN`). Its connection layer logs every
 * command error at WARN with a dump of the reply (an E11000 the engine expects, a client closing its
 * socket): those are debug here.
 */
const ferretdbClassifier = (): LineClassifier => (line) => {
  if (/level=(ERROR|DPANIC|PANIC|FATAL)/.test(line)) return 'error';
  if (/level=WARN/.test(line) && !/source=clientconn\//.test(line)) return 'warn';
  return 'debug';
};

/** The embedded FerretDB (ferretdb.ts), supervised like rqlited: restarted with backoff if it dies. */
export class EmbeddedFerretdb {
  private sidecar: Sidecar | null = null;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const log = this.logger.child({ component: 'embedded-ferretdb' });
    const pidFile = join(this.config.paths.varDir, 'run', 'ferretdb.pid');
    // A FerretDB left running by a killed master still holds the port and the SQLite files.
    const stale = await reapStale(pidFile, /ferretdb/);
    if (stale !== null) log.warn({ stalePid: stale }, 'stopped a FerretDB left by a previous master');
    mkdirSync(join(ferretdbDataDir(this.config), 'data'), { recursive: true, mode: 0o700 });
    this.sidecar = new Sidecar(
      {
        name: 'ferretdb',
        command: resolveFerretdb(this.config),
        args: ferretdbArgs(this.config),
        pidFile,
        restartBackoff: this.config.platformDb.rqlited.restartBackoff,
        stopSignal: 'SIGTERM',
        stopTimeoutMs: 10_000,
        cwd: ferretdbDataDir(this.config),
        classifier: ferretdbClassifier,
      },
      this.logger,
    );
    this.sidecar.start();
    await this.waitReady();
    log.info({ port: this.config.storages.mongodb.ferretdb.port }, 'embedded FerretDB ready');
  }

  private async waitReady(): Promise<void> {
    const url = `mongodb://127.0.0.1:${this.config.storages.mongodb.ferretdb.port}/`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
      try {
        await client.db('admin').command({ ping: 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`embedded FerretDB did not accept connections: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.close().catch(() => undefined);
      }
    }
  }

  get pid(): number | undefined {
    return this.sidecar?.pid;
  }

  async stop(): Promise<void> {
    await this.sidecar?.stop();
  }
}
