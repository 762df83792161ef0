import { EventEmitter } from 'node:events';
import type { WorkerToMaster } from './ipc.js';
import type { ChangeMessage } from './messages.js';

type Listener = (message: ChangeMessage) => void;

/**
 * Fans change notifications out to every API worker of the core. In a cluster worker, `publish`
 * goes to the master, which relays it to all workers (the sender included); each worker then hands
 * it to its local listeners (sockets, webhooks). Outside a cluster (tests, one process) it is
 * delivered locally at once.
 */
export class NotificationBus {
  private readonly local = new EventEmitter();

  constructor(private readonly send: ((message: WorkerToMaster) => void) | null) {
    this.local.setMaxListeners(0);
  }

  /** A bus for this process: through the master when forked by node:cluster, else local. */
  static forProcess(): NotificationBus {
    if (typeof process.send !== 'function') return new NotificationBus(null);
    const send = process.send.bind(process);
    return new NotificationBus((message) => {
      send(message);
    });
  }

  publish(message: ChangeMessage): void {
    if (this.send === null) this.deliver(message);
    else this.send({ type: 'notify', message });
  }

  /**
   * This process holds sockets of `username` (on) or no longer does (off): in a cluster the master
   * then relays that user's changes here (src/master/change-routing.ts). Local: everything is delivered.
   */
  listen(username: string, on: boolean): void {
    this.send?.({ type: 'listen', username, on });
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
