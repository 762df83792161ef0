import { Worker } from 'node:worker_threads';

/**
 * scrypt on worker threads of lowered priority (issue #16: a login storm must not slow everyone
 * else down). A hash is hundreds of ms of CPU; on libuv's pool it competed as an equal with the event
 * loops that serve every other request, and a few hashes at once made their p99 8× worse on 2 cores.
 * Each thread here renices itself (on Linux a thread's nice value is its own, `setpriority` with
 * who = 0 applies to the calling thread only), so the kernel runs request handling first and hashes
 * in the CPU time left over. A quiet machine hashes as fast as before.
 *
 * The thread's code is an inline CommonJS script (`eval`): it runs the same from dist/ and from the
 * TypeScript sources under vitest, and it is small enough to read here.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
try { require('node:os').setPriority(0, workerData.nice); } catch { /* not permitted: run at normal priority */ }
parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.password, Buffer.from(job.salt), job.keyLen, { N: job.n, r: job.r, p: job.p, maxmem: job.maxmem });
    parentPort.postMessage({ id: job.id, key });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

export interface ScryptJob {
  password: string;
  salt: Buffer;
  keyLen: number;
  n: number;
  r: number;
  p: number;
  maxmem: number;
}

interface Answer {
  id: number;
  key?: Uint8Array;
  error?: string;
}

interface Pending {
  resolve: (key: Buffer) => void;
  reject: (err: Error) => void;
}

/** One thread: one hash at a time (the caller's gate bounds how many run). */
class ScryptThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private retired = false;
  dead = false;

  constructor(nice: number) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { nice } });
    // Idle threads never keep a process alive (a CLI that hashed once exits at once).
    this.worker.unref();
    this.worker.on('message', (a: Answer) => this.settle(a));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`scrypt thread exited (${code})`)));
  }

  get busy(): number {
    return this.pending.size;
  }

  hash(job: ScryptJob): Promise<Buffer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, ...job });
    });
  }

  /** Out of the pool: ends once its hashes in progress are done. */
  retire(): void {
    this.retired = true;
    this.dead = true;
    if (this.pending.size === 0) void this.worker.terminate();
  }

  private settle(a: Answer): void {
    const p = this.pending.get(a.id);
    if (p === undefined) return;
    this.pending.delete(a.id);
    if (this.pending.size === 0) this.worker.unref();
    if (this.pending.size === 0 && this.retired) void this.worker.terminate();
    if (a.key !== undefined) p.resolve(Buffer.from(a.key.buffer, a.key.byteOffset, a.key.byteLength));
    else p.reject(new Error(a.error ?? 'scrypt failed'));
  }

  private fail(err: Error): void {
    this.dead = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Threads made on first use, up to `size`; a dead thread is replaced by the next call. */
export class ScryptThreads {
  private threads: ScryptThread[] = [];

  constructor(
    private size: number,
    private nice: number,
  ) {}

  /** A new nice value applies to every later hash: threads made at the former one are retired. */
  configure(size: number, nice: number): void {
    this.size = Math.max(1, size);
    if (nice !== this.nice) {
      for (const t of this.threads) t.retire();
      this.threads = [];
    }
    this.nice = nice;
  }

  hash(job: ScryptJob): Promise<Buffer> {
    this.threads = this.threads.filter((t) => !t.dead);
    const idle = this.threads.find((t) => t.busy === 0);
    if (idle !== undefined) return idle.hash(job);
    if (this.threads.length < this.size) {
      const t = new ScryptThread(this.nice);
      this.threads.push(t);
      return t.hash(job);
    }
    // Only when the caller runs more hashes than `size` at once: queue on the least busy thread.
    const least = this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
    return least.hash(job);
  }
}
