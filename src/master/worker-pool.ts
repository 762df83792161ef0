import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import { WORKER_CONFIG_ENV, type Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { Backoff, CrashLoopDetector, sleep } from '../util/backoff.js';
import { projectRoot } from '../util/project-root.js';
import { ConnectionBroker } from './connection-broker.js';
import { isWorkerMessage, type CoreState, type MasterToWorker, type WorkerRole } from '../notifications/ipc.js';
import { ChangeRouting } from './change-routing.js';
import { ListenerBroadcast, type ListenerTarget } from './listener-broadcast.js';
import { workerExecArgv, workerMemoryEnv } from './worker-memory.js';
import type { ChangeMessage } from '../notifications/messages.js';

interface RoleState {
  role: WorkerRole;
  wanted: number;
  backoff: Backoff;
  crashLoop: CrashLoopDetector;
  failed: boolean;
  pendingRestarts: number;
}

interface WorkerInfo {
  role: WorkerRole;
  startedAt: number;
  /** Built its app and waits for `serve`. */
  loaded: boolean;
  ready: boolean;
}

/**
 * Forks and supervises the cluster workers by role. A worker that exits unexpectedly is re-forked
 * with exponential backoff; a role that exits more than `crashLoop.maxExits` times within
 * `crashLoop.windowMs` is given up on, logged at fatal level, and reported to the other workers so
 * their /ready answers 503.
 */
export class WorkerPool {
  private readonly roles = new Map<WorkerRole, RoleState>();
  private readonly workers = new Map<number, WorkerInfo>();
  private readonly routing = new ChangeRouting();
  private readonly listeners: ListenerBroadcast;
  private readonly log: Logger;
  private state: CoreState = { draining: false, failedRoles: [], starting: true };
  private shuttingDown = false;
  private forked = false;
  /** Set by start(): until then loaded workers are not told to serve (the ports are not even open). */
  private serving = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Owns the public ports across worker restarts (hole 8 of issue #16). */
  private readonly broker: ConnectionBroker;

  constructor(
    private readonly config: Readonly<Config>,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'workers' });
    this.broker = new ConnectionBroker(config.cluster.connectionQueue, logger);
    this.listeners = new ListenerBroadcast(() => this.loadedTargets(), this.log);
    const c = config.cluster;
    const wanted: [WorkerRole, number][] = [
      ['api', c.apiWorkers],
      ['hfs', c.hfsWorkers],
      ['previews', c.previewsWorker ? 1 : 0],
    ];
    for (const [role, n] of wanted) {
      if (n === 0) continue;
      this.roles.set(role, {
        role,
        wanted: n,
        backoff: new Backoff(c.restartBackoff),
        crashLoop: new CrashLoopDetector(c.crashLoop),
        failed: false,
        pendingRestarts: 0,
      });
    }
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    cluster.on('message', (worker, message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'notify') {
        this.relay(message.message);
        this.onChange?.(message.message);
        return;
      }
      if (message.type === 'listen') {
        this.onListen(worker, message.username, message.on, message.id);
        return;
      }
      if (message.type === 'listeners-ack') {
        this.listeners.acked(worker.id, message.seq);
        return;
      }
      if (message.type === 'conn-ack') {
        this.broker.acknowledged(message.id);
        return;
      }
      const info = this.workers.get(worker.id);
      if (info === undefined) return;
      if (message.type === 'loaded') {
        info.loaded = true;
        this.log.debug({ workerRole: info.role, childPid: worker.process.pid }, 'worker loaded');
        // Before it serves: which users' changes it must send (src/master/listener-broadcast.ts).
        this.send(worker, this.listeners.snapshot());
        if (this.serving) this.send(worker, { type: 'serve' });
        return;
      }
      info.ready = true;
      this.send(worker, { type: 'state', state: this.state });
      if (!this.shuttingDown) this.broker.workerReady(info.role, worker);
    });
  }

  /** Told of every change a worker announces (the clones' change feed, src/master/clone-changes.ts). */
  onChange: ((message: ChangeMessage) => void) | null = null;

  /** A change to the workers that need it, the sender included (src/master/change-routing.ts). */
  relay(message: ChangeMessage): void {
    const m: MasterToWorker = { type: 'notify', message };
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w !== undefined && this.routing.wants(w.id, this.workers.get(w.id)?.role, message)) this.send(w, m);
    }
  }

  private onListen(worker: Worker, username: string, on: boolean, ackId: number | undefined): void {
    const change = this.routing.listen(worker.id, username, on);
    if (!on) {
      if (change === 'last') this.listeners.withdraw([username]);
      return;
    }
    const told = this.listeners.announce(username);
    if (ackId !== undefined) void told.then(() => this.send(worker, { type: 'listen-ack', id: ackId }));
  }

  /** Workers that have loaded (and so were given the listener list): every later change of it goes to them. */
  private loadedTargets(): ListenerTarget[] {
    const out: ListenerTarget[] = [];
    for (const [id, info] of this.workers) {
      const w = cluster.workers?.[id];
      if (info.loaded && w?.isConnected() === true) out.push({ id, send: (m) => this.send(w, m) });
    }
    return out;
  }

  private portOf(role: WorkerRole): number {
    const h = this.config.http;
    return role === 'api' ? h.apiPort : role === 'hfs' ? h.hfsPort : h.previewsPort;
  }

  /**
   * Forks every worker without serving: they load their modules and build their apps (seconds of
   * CPU) while the master still starts the databases and migrates them, then say `loaded` and wait.
   * start() opens the ports and tells them to `serve`: only then do they touch the databases (their
   * onReady hooks) and get connections. Workers need the core's secrets on disk (created first).
   */
  forkAll(): void {
    if (this.forked) return;
    this.forked = true;
    for (const r of this.roles.values()) for (let i = 0; i < r.wanted; i++) this.fork(r.role);
  }

  /** Opens the ports, forks every worker (unless forkAll did) and resolves once each is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    // The ports open before the workers serve: connections wait in the queue until one is ready.
    for (const r of this.roles.values()) await this.broker.listen(r.role, this.portOf(r.role), this.config.http.bindAddress);
    this.serving = true;
    for (const [id, info] of this.workers) {
      const w = cluster.workers?.[id];
      if (info.loaded && w !== undefined) this.send(w, { type: 'serve' });
    }
    this.forkAll();
    const deadline = Date.now() + timeoutMs;
    // Ready = every role has its wanted number of ready workers; a role that crash-looped
    // meanwhile fails the start (its workers are gone, so "all present are ready" is not enough).
    const allReady = (): boolean =>
      [...this.roles.values()].every((r) => [...this.workers.values()].filter((w) => w.role === r.role && w.ready).length >= r.wanted);
    while (!allReady()) {
      const failed = [...this.roles.values()].filter((r) => r.failed).map((r) => r.role);
      if (failed.length > 0) throw new Error(`worker role(s) ${failed.join(', ')} crash-looped during start`);
      if (Date.now() > deadline) throw new Error('workers did not start in time');
      await sleep(50);
    }
  }

  private fork(role: WorkerRole): void {
    const memory = this.config.cluster.workerMemory;
    cluster.setupPrimary({
      exec: join(projectRoot(), 'dist', 'workers', `${role}.js`),
      args: [],
      silent: false,
      execArgv: workerExecArgv(memory, process.execArgv),
    });
    // Sized for scrypt next to file I/O and DNS (cluster.scryptConcurrency); read by libuv at start.
    const worker = cluster.fork({
      ...workerMemoryEnv(memory),
      UV_THREADPOOL_SIZE: String(this.config.cluster.uvThreadpoolSize),
      [WORKER_CONFIG_ENV]: JSON.stringify(this.config),
    });
    this.workers.set(worker.id, { role, startedAt: Date.now(), loaded: false, ready: false });
    this.log.info({ workerRole: role, childPid: worker.process.pid, workerId: worker.id }, 'worker forked');
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const info = this.workers.get(worker.id);
    this.workers.delete(worker.id);
    this.listeners.withdraw(this.routing.forget(worker.id));
    this.listeners.gone(worker.id);
    this.broker.workerGone(worker.id);
    if (info === undefined || this.shuttingDown) return;
    const r = this.roles.get(info.role);
    if (r === undefined || r.failed) return;
    const uptime = Date.now() - info.startedAt;
    if (r.crashLoop.record()) {
      r.failed = true;
      this.log.fatal(
        { workerRole: r.role, exits: r.crashLoop.recentExits, windowMs: this.config.cluster.crashLoop.windowMs },
        'worker role is crash-looping: no longer re-forked; /ready answers 503 until the core is restarted',
      );
      this.setState({ failedRoles: [...this.state.failedRoles, r.role] });
      this.broker.roleFailed(r.role);
      return;
    }
    const delay = r.backoff.next(uptime);
    this.log.error({ workerRole: r.role, childPid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; re-forking');
    r.pendingRestarts += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      r.pendingRestarts -= 1;
      if (!this.shuttingDown && !r.failed) this.fork(r.role);
    }, delay);
    this.timers.add(timer);
  }

  setState(patch: Partial<CoreState>): void {
    this.state = { ...this.state, ...patch };
    for (const w of Object.values(cluster.workers ?? {})) if (w !== undefined) this.send(w, { type: 'state', state: this.state });
  }

  get coreState(): CoreState {
    return this.state;
  }

  private send(worker: Worker, message: MasterToWorker): void {
    if (worker.isConnected()) worker.send(message, (err: Error | null) => {
      if (err !== null) this.log.debug({ err: err.message }, 'IPC send failed (worker exiting)');
    });
  }

  /** Asks every worker to close its servers (in-flight requests finish), then kills stragglers. */
  async stop(timeoutMs: number): Promise<void> {
    this.shuttingDown = true;
    for (const t of this.timers) clearTimeout(t);
    // No new connection from here on; those already taken by a worker finish there.
    this.broker.close();
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    for (const w of live) this.send(w, { type: 'shutdown' });
    const deadline = Date.now() + timeoutMs;
    while (live.some((w) => !w.isDead()) && Date.now() < deadline) await sleep(50);
    for (const w of live) {
      if (!w.isDead()) {
        this.log.warn({ childPid: w.process.pid }, 'worker did not stop in time; killing');
        w.process.kill('SIGKILL');
      }
    }
    while (live.some((w) => !w.isDead())) await sleep(20);
  }

  /** Pids by role (used by operators' tooling and the tests). */
  pids(): Record<WorkerRole, number[]> {
    const out: Record<WorkerRole, number[]> = { api: [], hfs: [], previews: [] };
    for (const w of Object.values(cluster.workers ?? {})) {
      const info = w === undefined ? undefined : this.workers.get(w.id);
      if (w?.process.pid !== undefined && info !== undefined) out[info.role].push(w.process.pid);
    }
    return out;
  }
}
