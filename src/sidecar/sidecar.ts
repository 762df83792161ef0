import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Logger } from '../logging/logger.js';
import { Backoff, sleep, type BackoffPolicy } from '../util/backoff.js';
import { isAlive, removePid, writePid } from './pidfile.js';
import { redactSidecarLine, type LineClassifier } from './sidecar-log.js';

export interface SidecarSpec {
  name: string;
  command: string;
  /** A function is called at every (re)start: rqlited's join flags depend on its data dir. */
  args: string[] | (() => string[]);
  /** Recorded so a master started after a `kill -9` of this one can find and stop the leftover. */
  pidFile: string;
  restartBackoff: BackoffPolicy;
  /** Signal asking for a clean stop (rqlited: SIGTERM; postgres: SIGINT = fast shutdown). */
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  uid?: number;
  gid?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Level of each output line (src/sidecar/sidecar-log.ts); without it, every line is logged at debug. */
  classifier?: () => LineClassifier;
}

interface SidecarEvents {
  spawn: [pid: number];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

/**
 * A supervised child process: restarted with backoff whenever it dies, until `stop()`.
 * Its output goes to the master's logger.
 */
export class Sidecar extends EventEmitter<SidecarEvents> {
  private child: ChildProcess | null = null;
  private stopping = false;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  restarts = 0;

  constructor(
    private readonly spec: SidecarSpec,
    logger: Logger,
  ) {
    super();
    this.backoff = new Backoff(spec.restartBackoff);
    this.log = logger.child({ component: `sidecar:${spec.name}` });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  private launch(): void {
    const { spec } = this;
    const args = typeof spec.args === 'function' ? spec.args() : spec.args;
    const child = spawn(spec.command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a Ctrl-C or a group-wide SIGTERM (systemd, `timeout`) reaches the master,
      // which drains first and stops the sidecars last; they must not die with the first signal.
      detached: true,
      uid: spec.uid,
      gid: spec.gid,
    });
    this.child = child;
    this.startedAt = Date.now();
    // Whole lines (a chunk may end mid-line), each at the level the program gives it.
    const classify = spec.classifier?.() ?? ((): 'debug' => 'debug');
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
        if (raw.trim() === '') return;
        this.log[classify(raw)]({ line: redactSidecarLine(raw) }, 'sidecar output');
      });
    }
    child.on('error', (err) => this.log.error({ err: err.message }, 'sidecar failed to start'));
    if (child.pid !== undefined) {
      writePid(spec.pidFile, child.pid);
      this.log.info({ childPid: child.pid }, 'sidecar started');
      this.emit('spawn', child.pid);
    }
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      removePid(spec.pidFile);
      this.emit('exit', code, signal);
      if (this.stopping) return;
      const delay = this.backoff.next(Date.now() - this.startedAt);
      this.restarts += 1;
      this.log.error({ code, signal, restartInMs: delay }, 'sidecar died; restarting');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopping) this.launch();
      }, delay);
    });
  }

  /** Clean stop; escalates to SIGKILL after `stopTimeoutMs`. Resolves once the process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === null || child.pid === undefined) return;
    const pid = child.pid;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill(this.spec.stopSignal);
    const timer = setTimeout(() => {
      this.log.warn({ childPid: pid }, 'sidecar did not stop in time; killing');
      child.kill('SIGKILL');
    }, this.spec.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
    // The pid may have been reused only after exit; wait until it is really gone.
    while (isAlive(pid) && child.exitCode === null && child.signalCode === null) await sleep(20);
    this.log.info({ childPid: pid }, 'sidecar stopped');
  }
}
