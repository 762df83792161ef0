import { EventEmitter } from 'node:events';
import type { WorkerToMaster } from './ipc.js';
import type { ChangeMessage } from './messages.js';

type Listener = (message: ChangeMessage) => void;

/** A worker whose master never answers a `listen` (it is dying) does not hold a socket's handshake longer. */
const LISTEN_ACK_TIMEOUT_MS = 5000;

export interface BusOptions {
  /** Send every change to the master, listened or not: clones share all of them (src/master/clone-changes.ts). */
  relayAll?: boolean;
}

/**
 * Change notifications between the workers of a core. Changes only serve Socket.IO clients, so in a
 * cluster worker `publish` sends a change to the master only when some worker holds a socket of its
 * user: the master tells every worker who those users are (src/master/listener-broadcast.ts) and
 * relays each change to the workers listening (src/master/change-routing.ts), the sender included;
 * each worker then hands it to its local listeners (sockets). A change of a user nobody listens to
 * costs no IPC (issue #10: it was a tenth of the CPU of an events.create). Outside a cluster (tests,
 * one process) every change is delivered locally at once.
 */
export class NotificationBus {
  private readonly local = new EventEmitter();
  /** Users some worker of the core listens to, as the master last said. */
  private readonly listened = new Set<string>();
  private readonly pendingAcks = new Map<number, () => void>();
  private nextListenId = 1;
  private readonly relayAll: boolean;

  constructor(
    private readonly send: ((message: WorkerToMaster) => void) | null,
    options: BusOptions = {},
  ) {
    this.local.setMaxListeners(0);
    this.relayAll = options.relayAll === true;
  }

  /** A bus for this process: through the master when forked by node:cluster, else local. */
  static forProcess(options: BusOptions = {}): NotificationBus {
    if (typeof process.send !== 'function') return new NotificationBus(null, options);
    const send = process.send.bind(process);
    return new NotificationBus((message) => {
      send(message);
    }, options);
  }

  publish(message: ChangeMessage): void {
    if (this.send === null) this.deliver(message);
    else if (this.relayAll || this.listened.has(message.username)) this.send({ type: 'notify', message });
  }

  /**
   * This process holds sockets of `username` (on) or no longer does (off): in a cluster the master
   * then relays that user's changes here. `on` resolves once every worker of the core sends that
   * user's changes (or after a timeout): a socket connects only then, so a change its client makes
   * right after, through any worker, reaches it. Local: at once (everything is delivered).
   */
  listen(username: string, on: boolean): Promise<void> {
    if (this.send === null) return Promise.resolve();
    if (!on) {
      this.send({ type: 'listen', username, on });
      return Promise.resolve();
    }
    const id = this.nextListenId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.listenAcked(id), LISTEN_ACK_TIMEOUT_MS);
      timer.unref();
      this.pendingAcks.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.send?.({ type: 'listen', username, on, id });
    });
  }

  /** The master's answer to `listen` `id`. */
  listenAcked(id: number): void {
    const done = this.pendingAcks.get(id);
    this.pendingAcks.delete(id);
    done?.();
  }

  /** The master's word on which users some worker listens to (`reset`: the whole list). */
  setListened(usernames: readonly string[], on: boolean, reset = false): void {
    if (reset) this.listened.clear();
    for (const u of usernames) {
      if (on) this.listened.add(u);
      else this.listened.delete(u);
    }
  }

  /** Called with messages relayed by the master (or directly when local). */
  deliver(message: ChangeMessage): void {
    this.local.emit('change', message);
  }

  subscribe(listener: Listener): () => void {
    this.local.on('change', listener);
    return () => this.local.off('change', listener);
  }
}
