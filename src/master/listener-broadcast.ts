import type { Logger } from '../logging/logger.js';
import type { MasterToWorker } from '../notifications/ipc.js';

/** A worker the master can tell things to. */
export interface ListenerTarget {
  id: number;
  send(message: MasterToWorker): void;
}

interface Round {
  waiting: Set<number>;
  done: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Tells every worker which users some worker of the core holds sockets of (issue #10): a worker
 * sends the master only those users' changes (src/notifications/bus.ts). A new listener is
 * announced in a round the master sees acknowledged by every worker that serves (or gone, or silent
 * past `timeoutMs`) before the socket that asked may connect: from then on, a change its client
 * makes through any worker is sent. Withdrawals need no round: a change sent for nobody is only
 * wasted. A worker that loads gets the whole list before it serves (`snapshot`).
 */
export class ListenerBroadcast {
  private seq = 0;
  private readonly rounds = new Map<number, Round>();
  /** Announced users, each with the round that told every worker (resolved once it is done). */
  private readonly announced = new Map<string, Promise<void>>();

  constructor(
    private readonly targets: () => ListenerTarget[],
    private readonly log: Logger,
    private readonly timeoutMs = 2000,
  ) {}

  /** `username` has a listener: resolves once every serving worker sends its changes. */
  announce(username: string): Promise<void> {
    let told = this.announced.get(username);
    if (told === undefined) {
      told = this.round(username);
      this.announced.set(username, told);
    }
    return told;
  }

  /** These users have no listener left. */
  withdraw(usernames: readonly string[]): void {
    const gone = usernames.filter((u) => this.announced.delete(u));
    if (gone.length === 0) return;
    for (const t of this.targets()) t.send({ type: 'listeners', usernames: gone, on: false });
  }

  /** The whole list, for a worker that has just loaded. */
  snapshot(): MasterToWorker {
    return { type: 'listeners', usernames: [...this.announced.keys()], on: true, reset: true };
  }

  acked(workerId: number, seq: number): void {
    const round = this.rounds.get(seq);
    if (round === undefined) return;
    round.waiting.delete(workerId);
    if (round.waiting.size === 0) this.finish(seq, round);
  }

  /** A worker exited: no round waits for it. */
  gone(workerId: number): void {
    for (const seq of [...this.rounds.keys()]) this.acked(workerId, seq);
  }

  private round(username: string): Promise<void> {
    const seq = ++this.seq;
    const targets = this.targets();
    if (targets.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const round = this.rounds.get(seq);
        if (round === undefined) return;
        this.log.warn({ workerIds: [...round.waiting], timeoutMs: this.timeoutMs }, 'workers did not confirm a new socket listener in time; the socket connects anyway');
        this.finish(seq, round);
      }, this.timeoutMs);
      timer.unref();
      this.rounds.set(seq, { waiting: new Set(targets.map((t) => t.id)), done: resolve, timer });
      for (const t of targets) t.send({ type: 'listeners', usernames: [username], on: true, seq });
    });
  }

  private finish(seq: number, round: Round): void {
    this.rounds.delete(seq);
    clearTimeout(round.timer);
    round.done();
  }
}
