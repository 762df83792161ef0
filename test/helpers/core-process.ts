import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inject } from 'vitest';
import type { WorkerRole } from '../../src/notifications/ipc.js';
import { readPid } from '../../src/master/pidfile.js';
import { sleep } from '../../src/util/backoff.js';
import { projectRoot } from '../../src/util/project-root.js';
import { freePort } from './free-port.js';
// Brings the `inject('services')` typing (ProvidedContext augmentation).
import type {} from './global-setup.js';
import { createTestDatabase } from './pg-database.js';

/**
 * A whole core (`node dist/bin/master.js`) run as a real process tree for the master tests: its own
 * var dir and free ports, logs collected, and a `kill()` that leaves no process or bound port behind.
 * The master runs from dist/: build (`tsc -p tsconfig.json`) before running these tests.
 */

export interface CorePorts { api: number; hfs: number; previews: number; rqliteHttp: number; rqliteRaft: number; pg: number | null }
export interface HttpResult { status: number; body: unknown; text: string }
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
  /** Runs with the core's environment before the master starts (e.g. `bin/bootstrap.js init`). */
  prepare?: (env: NodeJS.ProcessEnv) => void | Promise<void>;
}

interface Resources {
  varDir: string;
  ports: CorePorts;
  pgEnv: Record<string, string>;
  dropDb: (() => Promise<void>) | null;
  /** The core now using them; `cores` = every core that ever ran on them. */
  owner: CoreProcess | null;
  cores: CoreProcess[];
}
interface ProcInfo { pid: number; ppid: number; pgrp: number; state: string; startTime: string }

const WORKER_CMD = /\/dist\/workers\/(api|hfs|previews)\.js\b/;
const REQUEST_LOG = /"msg":"(incoming request|request completed)"/;
const live = new Set<CoreProcess>();
// Last resort if a test run dies without its afterEach: SIGKILL every tree still running.
process.once('exit', () => {
  for (const core of live) core.killSync();
});

export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0] ?? '?', ppid: Number(f[1]), pgrp: Number(f[2]), startTime: f[19] ?? '' };
  } catch {
    return null;
  }
}

/** Running (a zombie already exited: it only waits for its parent to reap it). */
export function isRunning(pid: number): boolean {
  const p = procInfo(pid);
  return p !== null && p.state !== 'Z' && p.state !== 'X';
}

function allProcs(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procInfo(Number(d)))
    .filter((p): p is ProcInfo => p !== null);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Ports of `ports` on which something still listens (127.0.0.1, where the core binds). */
export async function boundPorts(ports: number[]): Promise<number[]> {
  const bound: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (!free) bound.push(port);
  }
  return bound;
}

/** One request on a fresh connection (no keep-alive pool to outlive the core); status 0 = no answer. */
export function httpStatus(port: number, path: string, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve({ status: 0, body: null, text: 'response error' }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: null, text: err.message }));
    req.end();
  });
}

export class CoreProcess {
  readonly logs: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** Every process of this tree seen so far, by pid → start time (a recycled pid is never killed). */
  private readonly seen = new Map<number, string>();
  private readonly exited: Promise<void>;

  /** The environment the master runs with (HOMECORE_* included): run CLIs as this core with it. */
  env: NodeJS.ProcessEnv = {};

  constructor(readonly pid: number, private readonly res: Resources, exited: Promise<void>) {
    this.exited = exited;
    this.remember(pid);
  }

  get varDir(): string { return this.res.varDir; }
  get ports(): CorePorts { return this.res.ports; }
  get publicPorts(): number[] { return [this.ports.api, this.ports.hfs, this.ports.previews]; }
  get allPorts(): number[] {
    const p = this.ports;
    return [p.api, p.hfs, p.previews, p.rqliteHttp, p.rqliteRaft, ...(p.pg === null ? [] : [p.pg])];
  }
  get urls(): { api: string; hfs: string; previews: string; rqlite: string } {
    const u = (port: number): string => `http://127.0.0.1:${port}`;
    return { api: u(this.ports.api), hfs: u(this.ports.hfs), previews: u(this.ports.previews), rqlite: u(this.ports.rqliteHttp) };
  }

  /** The last `n` log lines, per-request lines left out (polling would drown everything else). */
  tail(n = 30): string {
    return this.logs.filter((l) => !REQUEST_LOG.test(l)).slice(-n).join('\n');
  }

  /** The JSON (pino) log lines, parsed. */
  entries(): Record<string, unknown>[] {
    return this.logs.flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return typeof v === 'object' && v !== null ? [v as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  fail(message: string): Error {
    return new Error(`${message}\n--- last log lines of core (master pid ${this.pid}) ---\n${this.tail()}`);
  }

  /** Polls `probe` every `intervalMs` until it returns something other than null/undefined/false. */
  async waitFor<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw this.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(intervalMs);
    }
  }

  /** Polls GET /ready until 200 on each of `ports` (default: api, hfs, previews; each role listens on its own). */
  async waitReady(timeoutMs = 60_000, ports = this.publicPorts): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const port of ports) {
      let last: HttpResult | null = null;
      await this.waitFor(`GET /ready = 200 on port ${port}`, async () => {
        if (this.exit !== null) throw this.fail(`master exited (code ${this.exit.code}, signal ${this.exit.signal}) before /ready was 200`);
        last = await this.status(port, '/ready');
        return last.status === 200;
      }, Math.max(0, deadline - Date.now())).catch((err: Error) => {
        throw new Error(`${err.message}\n--- last /ready answer: ${last === null ? 'none' : `${last.status} ${last.text}`}`);
      });
    }
  }

  status(port: number, path: string, method = 'GET'): Promise<HttpResult> {
    return httpStatus(port, path, method);
  }

  private remember(pid: number): void {
    const p = procInfo(pid);
    if (p !== null && !this.seen.has(pid)) this.seen.set(pid, p.startTime);
  }

  /** Live cluster workers of the master, by role (sidecars are children too, but not workers). */
  workerPids(): Record<WorkerRole, number[]> {
    const out: Record<WorkerRole, number[]> = { api: [], hfs: [], previews: [] };
    for (const p of allProcs()) {
      if (p.ppid !== this.pid || p.state === 'Z') continue;
      const role = WORKER_CMD.exec(cmdline(p.pid))?.[1] as WorkerRole | undefined;
      if (role === undefined) continue;
      out[role].push(p.pid);
      this.remember(p.pid);
    }
    return out;
  }

  private pidFromFile(file: string, pattern: RegExp): number | null {
    if (this.res.owner !== this) return null;
    const pid = readPid(join(this.varDir, file));
    if (pid === null || !isRunning(pid) || !pattern.test(cmdline(pid))) return null;
    this.remember(pid);
    return pid;
  }

  rqlitedPid(): number | null {
    return this.pidFromFile('run/rqlited.pid', /rqlited/);
  }

  /** The embedded PostgreSQL postmaster, if any. */
  postgresPid(): number | null {
    return this.pidFromFile('postgresql/postmaster.pid', /postgres/);
  }

  /**
   * Every running process of this tree: the master, its process group (workers and sidecars keep it
   * after a `kill -9` of the master), the sidecars named in pid files, and all their descendants.
   */
  treePids(): number[] {
    this.workerPids();
    this.rqlitedPid();
    this.postgresPid();
    const procs = allProcs().filter((p) => p.state !== 'Z' && p.state !== 'X');
    const mine = (p: ProcInfo): boolean =>
      this.seen.get(p.pid) === p.startTime || (p.pgrp === this.pid && BigInt(p.startTime || '0') >= BigInt(this.seen.get(this.pid) ?? '0'));
    const tree = new Set(procs.filter(mine).map((p) => p.pid));
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of procs) {
        if (tree.has(p.pid) || !tree.has(p.ppid)) continue;
        tree.add(p.pid);
        grew = true;
      }
    }
    for (const pid of tree) this.remember(pid);
    return [...tree];
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  /** The master's exit code (null if a signal killed it). */
  async waitExit(timeoutMs = 30_000): Promise<number | null> {
    const timeout = sleep(timeoutMs).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited, timeout])) === 'timeout') throw this.fail(`master still running after ${timeoutMs} ms`);
    return this.exit?.code ?? null;
  }

  /** Synchronous SIGKILL of everything known of the tree (process 'exit' hook). */
  killSync(): void {
    for (const pid of this.treePids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** SIGKILL until no process of this tree runs. */
  private async killTree(deadline: number): Promise<void> {
    for (let left = this.treePids(); left.length > 0; left = this.treePids()) {
      if (Date.now() > deadline) throw this.fail(`processes still running after cleanup: ${left.join(', ')}`);
      this.killSync();
      await sleep(50);
    }
    await Promise.race([this.exited, sleep(5000)]);
    live.delete(this);
  }

  /**
   * Cleanup for afterEach: SIGKILL the whole tree, wait until no process of it runs and none of its
   * ports is bound, then drop the database and remove the var dir. The core owning them also kills
   * the trees of the cores it took them over from, whatever the order of the calls.
   */
  async kill(): Promise<void> {
    const deadline = Date.now() + 20_000;
    await this.killTree(deadline);
    if (this.res.owner !== this) return;
    for (const other of this.res.cores) await other.killTree(deadline);
    let bound = await boundPorts(this.allPorts);
    while (bound.length > 0 && Date.now() < deadline) {
      await sleep(100);
      bound = await boundPorts(bound);
    }
    if (bound.length > 0) throw this.fail(`ports still bound after cleanup: ${bound.join(', ')}`);
    await this.res.dropDb?.();
    rmSync(this.varDir, { recursive: true, force: true });
    this.res.owner = null;
  }

  /** Var dir, ports and database, for a core that takes them over (stale pid file scenario). */
  static resourcesOf(core: CoreProcess): Resources {
    return core.res;
  }
}

// freePort() closes its probe, so two calls may answer the same port: never hand one out twice.
const handedOut = new Set<number>();
async function distinctPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

async function allocate(embeddedPg: boolean): Promise<Resources> {
  const varDir = mkdtempSync(join(tmpdir(), 'homecore-core-'));
  // The unprivileged OS user running the embedded PostgreSQL must be able to traverse it.
  chmodSync(varDir, 0o755);
  const ports: CorePorts = {
    api: await distinctPort(), hfs: await distinctPort(), previews: await distinctPort(),
    rqliteHttp: await distinctPort(), rqliteRaft: await distinctPort(), pg: embeddedPg ? await distinctPort() : null,
  };
  if (embeddedPg) {
    const pgEnv = { HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'true', HOMECORE_STORAGES__POSTGRESQL__PORT: String(ports.pg) };
    return { varDir, ports, pgEnv, dropDb: null, owner: null, cores: [] };
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
  return { varDir, ports, pgEnv, dropDb: db.drop, owner: null, cores: [] };
}

/** Spawns `node dist/bin/master.js` (this Node) in its own process group; does not wait for /ready. */
export async function startCore(opts: StartCoreOptions = {}): Promise<CoreProcess> {
  const res = opts.takeOver === undefined ? await allocate(opts.embeddedPg === true) : CoreProcess.resourcesOf(opts.takeOver);
  const root = projectRoot();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOMECORE_')));
  Object.assign(env, {
    HOMECORE_CONFIG: join(root, 'config', 'test.yml'),
    HOMECORE_PATHS__VAR_DIR: res.varDir,
    HOMECORE_HTTP__API_PORT: String(res.ports.api),
    HOMECORE_HTTP__HFS_PORT: String(res.ports.hfs),
    HOMECORE_HTTP__PREVIEWS_PORT: String(res.ports.previews),
    HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: String(res.ports.rqliteHttp),
    HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `127.0.0.1:${res.ports.rqliteRaft}`,
    HOMECORE_LOGGING__LEVEL: 'info',
    ...res.pgEnv,
    ...opts.env,
    ...opts.envFor?.(res.ports),
  });
  await opts.prepare?.(env);
  // detached: own process group, so cleanup finds workers and sidecars even once the master is gone.
  const child = spawn(process.execPath, [join(root, 'dist', 'bin', 'master.js'), ...(opts.args ?? [])], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
