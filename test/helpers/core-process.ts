import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerRole } from '../../src/notifications/ipc.js';
import { readPid } from '../../src/sidecar/pidfile.js';
import { sleep } from '../../src/util/backoff.js';
import { allProcs, cmdline, isRunning, live, procInfo, type ProcInfo } from './core-cleaning.js';
import { boundPorts, httpStatus, pollUntil, type HttpResult } from './core-waiting.js';

export { boundPorts, httpStatus, type HttpResult } from './core-waiting.js';
export { isRunning, procInfo } from './core-cleaning.js';
export { startCore, startPublicCore, type StartCoreOptions } from './core-starting.js';

/**
 * A whole core (`node dist/bin/master.js`) run as a real process tree for the master tests: its own
 * var dir and free ports, logs collected, and a `kill()` that leaves no process or bound port behind.
 * The master runs from dist/: build (`tsc -p tsconfig.json`) before running these tests. Starting
 * is in core-starting.ts, HTTP probes and polling in core-waiting.ts, /proc and the exit hook in
 * core-cleaning.ts; this file keeps the process tree itself.
 */

export interface CorePorts { api: number; hfs: number; previews: number; rqliteHttp: number; rqliteRaft: number; pg: number | null }

/** What a core runs on, handed over to a core that takes them over. */
export interface Resources {
  varDir: string;
  /** The loopback address the core binds its ports (and Raft) to. */
  host: string;
  ports: CorePorts;
  pgEnv: Record<string, string>;
  dropDb: (() => Promise<void>) | null;
  /** The core now using them; `cores` = every core that ever ran on them. */
  owner: CoreProcess | null;
  cores: CoreProcess[];
}

const WORKER_CMD = /\/dist\/workers\/(api|hfs|previews)\.js\b/;
const REQUEST_LOG = /"msg":"(incoming request|request completed)"/;

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
  get host(): string { return this.res.host; }
  get ports(): CorePorts { return this.res.ports; }
  get publicPorts(): number[] { return [this.ports.api, this.ports.hfs, this.ports.previews]; }
  get allPorts(): number[] {
    const p = this.ports;
    return [p.api, p.hfs, p.previews, p.rqliteHttp, p.rqliteRaft, ...(p.pg === null ? [] : [p.pg])];
  }
  get urls(): { api: string; hfs: string; previews: string; rqlite: string } {
    const u = (port: number): string => `http://${this.host}:${port}`;
    return { api: u(this.ports.api), hfs: u(this.ports.hfs), previews: u(this.ports.previews), rqlite: `http://127.0.0.1:${this.ports.rqliteHttp}` };
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
    return pollUntil(probe, timeoutMs, intervalMs, () => this.fail(`timed out after ${timeoutMs} ms waiting for ${what}`));
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
    return httpStatus(port, path, method, this.host);
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

  /** The embedded FerretDB (storages.engine: mongodb without a url), if any. */
  ferretdbPid(): number | null {
    return this.pidFromFile('run/ferretdb.pid', /ferretdb/);
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
    this.ferretdbPid();
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
    // Public ports and Raft on the core's host; rqlited's HTTP API always on 127.0.0.1.
    const stillBound = async (ports: number[]): Promise<number[]> =>
      this.host === '127.0.0.1' ? boundPorts(ports) : [...new Set([...(await boundPorts(ports)), ...(await boundPorts(ports, this.host))])];
    let bound = await stillBound(this.allPorts);
    while (bound.length > 0 && Date.now() < deadline) {
      await sleep(100);
      bound = await stillBound(bound);
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

