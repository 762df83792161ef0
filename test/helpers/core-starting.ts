import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inject } from 'vitest';
import { MASTER_NODE_FLAGS } from '../../src/master/worker-memory.js';
import { projectRoot } from '../../src/util/project-root.js';
import { live } from './core-cleaning.js';
import { CoreProcess, type CorePorts, type Resources } from './core-process.js';
import { freePort } from './free-port.js';
// Brings the `inject('services')` typing (ProvidedContext augmentation).
import type {} from './global-setup.js';
import { createTestDatabase } from './pg-database.js';
import { testEngineDatabase } from './test-engine.js';

/** Starting a core (test/helpers/core-process.ts): its var dir, ports and database, then the master. */
export interface StartCoreOptions {
  /** The master runs its own PostgreSQL (initdb as an unprivileged user) instead of the shared test server. */
  embeddedPg?: boolean;
  /** Extra HOMECORE_* variables (values are YAML scalars). */
  env?: Record<string, string>;
  /** Variables that depend on the ports picked for this core (e.g. platform.publicUrl). */
  envFor?: (ports: CorePorts) => Record<string, string>;
  /** Start on the var dir, ports and database of this (dead) core; it then owns them. */
  takeOver?: CoreProcess;
  /** Extra master arguments (e.g. `--bootstrap <bundle> --bootstrap-passphrase-file <f>`). */
  args?: string[];
  /** Loopback address the core binds to (public ports and Raft): clones live on different ones. */
  host?: string;
  /**
   * A clone of this running core (issue #13): same database, attachments dir, secrets and core id;
   * its rqlited joins the core's as a non-voter. The first clone is started with `env` naming its
   * `HOMECORE_CORE__CLONE_ID`.
   */
  cloneOf?: { core: CoreProcess; cloneId: string; viaBundle?: boolean };
  /** Runs with the core's environment before the master starts (e.g. `bin/bootstrap.js init`). */
  prepare?: (env: NodeJS.ProcessEnv) => void | Promise<void>;
}

async function allocate(embeddedPg: boolean, host: string, cloneOf: CoreProcess | null): Promise<Resources> {
  const varDir = mkdtempSync(join(tmpdir(), 'homecore-core-'));
  // The unprivileged OS user running the embedded PostgreSQL must be able to traverse it.
  chmodSync(varDir, 0o755);
  const ports: CorePorts = {
    api: await freePort(), hfs: await freePort(), previews: await freePort(),
    rqliteHttp: await freePort(), rqliteRaft: await freePort(), pg: embeddedPg ? await freePort() : null,
  };
  if (cloneOf !== null) {
    // The clone's own secrets are the first clone's (key set, admin key, rqlite credential).
    mkdirSync(join(varDir, 'secrets'), { recursive: true, mode: 0o700 });
    // Absent when given by config instead (auth.adminAccessKey) or unused (an external rqlited).
    for (const f of ['keys.json', 'admin-access-key', 'rqlite-auth.json'].filter((x) => existsSync(join(cloneOf.varDir, 'secrets', x)))) {
      copyFileSync(join(cloneOf.varDir, 'secrets', f), join(varDir, 'secrets', f));
      chmodSync(join(varDir, 'secrets', f), 0o600);
    }
    const res = CoreProcess.resourcesOf(cloneOf);
    return { varDir, host, ports, pgEnv: res.pgEnv, dropDb: null, owner: null, cores: [] };
  }
  if (embeddedPg) {
    const pgEnv = { HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'true', HOMECORE_STORAGES__POSTGRESQL__PORT: String(ports.pg) };
    return { varDir, host, ports, pgEnv, dropDb: null, owner: null, cores: [] };
  }
  const services = inject('services');
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  const s = db.settings;
  // Env values are YAML scalars: quote strings so a password like `a: b` stays a string.
  const pgEnv = {
    HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false',
    HOMECORE_STORAGES__POSTGRESQL__HOST: JSON.stringify(s.host),
    HOMECORE_STORAGES__POSTGRESQL__PORT: String(s.port),
    HOMECORE_STORAGES__POSTGRESQL__DATABASE: JSON.stringify(s.database),
    HOMECORE_STORAGES__POSTGRESQL__USER: JSON.stringify(s.user),
    HOMECORE_STORAGES__POSTGRESQL__PASSWORD: JSON.stringify(s.password),
  };
  // TEST_STORAGE_ENGINE=mongodb: the core's user data on a database of that engine's test server.
  const other = await testEngineDatabase();
  const dropDb = async (): Promise<void> => {
    await db.drop();
    await other?.drop();
  };
  return { varDir, host, ports, pgEnv: { ...pgEnv, ...other?.env }, dropDb, owner: null, cores: [] };
}

/** Spawns `node dist/bin/master.js` (this Node) in its own process group; does not wait for /ready. */
export async function startCore(opts: StartCoreOptions = {}): Promise<CoreProcess> {
  const host = opts.host ?? '127.0.0.1';
  const res = opts.takeOver === undefined ? await allocate(opts.embeddedPg === true, host, opts.cloneOf?.core ?? null) : CoreProcess.resourcesOf(opts.takeOver);
  const clone = opts.cloneOf;
  const cloneEnv: Record<string, string> = clone === undefined ? {} : {
    // viaBundle: clone id, join list and suffrage come from a `new-clone` bundle (its core.yml).
    ...(clone.viaBundle === true ? {} : {
      HOMECORE_CORE__CLONE_ID: clone.cloneId,
      HOMECORE_PLATFORM_DB__RQLITED__JOIN: `[${clone.core.host}:${clone.core.ports.rqliteRaft}]`,
      HOMECORE_PLATFORM_DB__RQLITED__NON_VOTER: 'true',
    }),
    HOMECORE_ATTACHMENTS__DIR: clone.core.env['HOMECORE_ATTACHMENTS__DIR'] ?? join(clone.core.varDir, 'attachments'),
  };
  const root = projectRoot();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOMECORE_')));
  Object.assign(env, {
    HOMECORE_CONFIG: join(root, 'config', 'test.yml'),
    HOMECORE_PATHS__VAR_DIR: res.varDir,
    HOMECORE_HTTP__API_PORT: String(res.ports.api),
    HOMECORE_HTTP__HFS_PORT: String(res.ports.hfs),
    HOMECORE_HTTP__PREVIEWS_PORT: String(res.ports.previews),
    HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: String(res.ports.rqliteHttp),
    HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `${res.host}:${res.ports.rqliteRaft}`,
    HOMECORE_HTTP__BIND_ADDRESS: res.host,
    HOMECORE_LOGGING__LEVEL: 'info',
    ...res.pgEnv,
    ...cloneEnv,
    ...opts.env,
    ...opts.envFor?.(res.ports),
  });
  await opts.prepare?.(env);
  // detached: own process group, so cleanup finds workers and sidecars even once the master is gone.
  const child = spawn(process.execPath, [...MASTER_NODE_FLAGS, join(root, 'dist', 'bin', 'master.js'), ...(opts.args ?? [])], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not spawn the master');
  let core: CoreProcess | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (core !== null) core.exit = { code, signal };
      resolve();
    });
  });
  core = new CoreProcess(child.pid, res, exited);
  core.env = env;
  const created = core;
  child.once('error', (err) => created.logs.push(`spawn error: ${err.message}`));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (created.logs.length < 100_000) created.logs.push(line);
    });
  }
  res.owner = created;
  res.cores.push(created);
  live.add(created);
  return created;
}

/**
 * A ready core whose public URL is its own API port, as apps and SDKs see it (service info, API
 * endpoints): what `bin/start` gives on the default ports.
 */
export async function startPublicCore(): Promise<CoreProcess> {
  const core = await startCore({
    envFor: (ports) => ({
      HOMECORE_PLATFORM__PUBLIC_URL: `http://127.0.0.1:${ports.api}/`,
      HOMECORE_SERVICE__HOME: `http://127.0.0.1:${ports.api}/`,
    }),
  });
  await core.waitReady(60_000);
  return core;
}
