import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { descendants, isRunning } from './procs.ts';

/** A core started by the bench: `node dist/bin/master.js` as the tests run it (test/helpers/core-process.ts). */
export interface StartedCore {
  apiUrl: string;
  hfsUrl: string;
  varDir: string;
  masterPid: number;
  logFile: string;
  ports: { api: number; hfs: number; previews: number; rqliteHttp: number; rqliteRaft: number; pg: number };
  pg: { host: string; port: number; database: string; user: string; password: string };
  /** The embedded server's superuser (pg_stat_statements, EXPLAIN): its password is in the var dir. */
  superuserPassword: () => string;
  env: Record<string, string>;
  /** storages.engine: with mongodb, `pg` names no server (the core runs the embedded FerretDB). */
  engine: 'postgresql' | 'mongodb';
}

export interface CoreSettings {
  root: string;
  apiWorkers: number | null;
  logLevel: string | null;
  pgStats: boolean;
  /** More HOMECORE_* settings of the started core (bench/backup: registration limits). */
  extraEnv?: Record<string, string>;
  /** audit.enabled; null = the config default. */
  audit: boolean | null;
  /** How long a start may take before it counts as failed (default 120 s; a loaded machine needs more). */
  readyTimeoutMs?: number;
  /** storages.engine; default postgresql. */
  engine?: 'postgresql' | 'mongodb';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function waitReady(core: StartedCore, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const base of [core.apiUrl, core.hfsUrl]) {
    while ((await status(`${base}ready`)) !== 200) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the core exited before it was ready; see ${core.logFile}`);
      if (Date.now() > deadline) throw new Error(`the core was not ready after ${timeoutMs} ms; see ${core.logFile}`);
      await sleep(200);
    }
  }
}

function spawnMaster(core: StartedCore, root: string): ChildProcess {
  const log = openSync(core.logFile, 'a');
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOMECORE_')));
  Object.assign(env, core.env);
  // detached: its own process group, so a stop reaches sidecars and workers even if the master dies.
  // As bin/master launches it (MASTER_NODE_FLAGS in src/master/worker-memory.ts): its RSS is measured.
  const child = spawn(process.execPath, ['--max-semi-space-size=2', '--optimize-for-size', join(root, 'dist', 'bin', 'master.js')], { cwd: root, env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error('could not spawn the master');
  core.masterPid = child.pid;
  return child;
}

/** The cores this bench started and still runs (bench/run --audit-cost runs two side by side). */
const running = new Map<StartedCore, ChildProcess>();

/** A fresh core on free loopback ports with a temp var dir and its own embedded PostgreSQL. */
export async function startCore(s: CoreSettings): Promise<StartedCore> {
  const varDir = mkdtempSync(join(tmpdir(), 'homecore-bench-'));
  // The embedded PostgreSQL runs as the unprivileged `postgres` user when we are root: it must traverse it.
  chmodSync(varDir, 0o755);
  const ports = {
    api: await freePort(), hfs: await freePort(), previews: await freePort(),
    rqliteHttp: await freePort(), rqliteRaft: await freePort(), pg: await freePort(),
  };
  if (new Set(Object.values(ports)).size !== Object.keys(ports).length) throw new Error('port clash, run again');
  const password = randomBytes(12).toString('base64url');
  const env: Record<string, string> = {
    HOMECORE_PATHS__VAR_DIR: varDir,
    HOMECORE_HTTP__API_PORT: String(ports.api),
    HOMECORE_HTTP__HFS_PORT: String(ports.hfs),
    HOMECORE_HTTP__PREVIEWS_PORT: String(ports.previews),
    HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: String(ports.rqliteHttp),
    HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `127.0.0.1:${ports.rqliteRaft}`,
    HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'true',
    HOMECORE_STORAGES__POSTGRESQL__PORT: String(ports.pg),
    HOMECORE_STORAGES__POSTGRESQL__PASSWORD: JSON.stringify(password),
    HOMECORE_PLATFORM__PUBLIC_URL: `http://127.0.0.1:${ports.api}/`,
    // Teardown only: nothing balances load in front of this core.
    HOMECORE_CLUSTER__DRAIN_MS: '0',
  };
  // Any free port: benches may run beside another core (older checkouts, compared A/B, have no metrics).
  if (readFileSync(join(s.root, 'config', 'default.yml'), 'utf8').includes('\nmetrics:')) env['HOMECORE_METRICS__PORT'] = '0';
  if (s.audit !== null) env['HOMECORE_AUDIT__ENABLED'] = String(s.audit);
  if (s.apiWorkers !== null) env['HOMECORE_CLUSTER__API_WORKERS'] = String(s.apiWorkers);
  if (s.logLevel !== null) env['HOMECORE_LOGGING__LEVEL'] = s.logLevel;
  const engine = s.engine ?? 'postgresql';
  if (engine === 'mongodb') {
    Object.assign(env, {
      HOMECORE_STORAGES__ENGINE: 'mongodb',
      HOMECORE_STORAGES__MONGODB__FERRETDB__PORT: String(await freePort()),
      HOMECORE_STORAGES__MONGODB__FERRETDB__DEBUG_PORT: String(await freePort()),
    });
  }
  Object.assign(env, s.extraEnv ?? {});
  const core: StartedCore = {
    engine,
    apiUrl: `http://127.0.0.1:${ports.api}/`,
    hfsUrl: `http://127.0.0.1:${ports.hfs}/`,
    varDir,
    masterPid: 0,
    logFile: join(varDir, 'core.log'),
    ports,
    pg: { host: '127.0.0.1', port: ports.pg, database: 'homecore', user: 'homecore', password },
    superuserPassword: () => readFileSync(join(varDir, 'secrets', 'postgresql-superuser'), 'utf8').trim(),
    env,
  };
  let child = spawnMaster(core, s.root);
  running.set(core, child);
  await waitReady(core, child, s.readyTimeoutMs ?? 120_000);
  if (s.pgStats) {
    // Preloading needs a server restart: set it once, then restart the whole core on the same var dir.
    const admin = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword(), database: 'postgres' });
    await admin.connect();
    await admin.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    await admin.query("ALTER SYSTEM SET pg_stat_statements.track = 'top'");
    await admin.query("ALTER SYSTEM SET pg_stat_statements.track_planning = 'on'");
    await admin.end();
    await stopCore(core, false);
    child = spawnMaster(core, s.root);
    running.set(core, child);
    await waitReady(core, child, s.readyTimeoutMs ?? 120_000);
    const su = new pg.Client({ ...core.pg, user: 'postgres', password: core.superuserPassword() });
    await su.connect();
    await su.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await su.end();
  }
  return core;
}

/**
 * Stops the core and starts it again on the same var dir (data and tokens kept) with --cpu-prof on
 * every process, so the profiles cover the scenarios and not the seeding.
 */
export async function restartWithCpuProfiles(core: StartedCore, root: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await stopCore(core, false);
  core.env['NODE_OPTIONS'] = `--cpu-prof --cpu-prof-dir=${dir}`;
  const child = spawnMaster(core, root);
  running.set(core, child);
  await waitReady(core, child, 120_000);
}

/**
 * SIGTERM to the master (it drains and stops its workers and sidecars, so --cpu-prof profiles get
 * written), then SIGKILL to whatever of its tree is left after 30 s. `removeVarDir` deletes the data.
 */
export async function stopCore(core: StartedCore, removeVarDir: boolean): Promise<void> {
  const tree = [core.masterPid, ...descendants(core.masterPid)];
  try {
    process.kill(core.masterPid, 'SIGTERM');
  } catch {
    // already gone
  }
  const deadline = Date.now() + 30_000;
  while (tree.some(isRunning) && Date.now() < deadline) await sleep(100);
  for (const pid of tree.filter(isRunning)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  running.delete(core);
  if (removeVarDir && existsSync(core.varDir)) rmSync(core.varDir, { recursive: true, force: true });
}

/** --keep-core: the bench's exit must not take the core down. */
export function releaseCore(): void {
  // The child handle would keep the bench's event loop (and so the bench) alive.
  for (const child of running.values()) child.unref();
  running.clear();
}

/** Last resort when the bench itself dies: no core left running behind it. */
export function killCoreSync(): void {
  for (const core of running.keys()) {
    for (const pid of [core.masterPid, ...descendants(core.masterPid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
