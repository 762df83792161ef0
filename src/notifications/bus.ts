import { EventEmitter } from 'node:events';
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

  constructor(private readonly send: ((message: ChangeMessage) => void) | null) {
    this.local.setMaxListeners(0);
  }

  /** A bus for this process: through the master when forked by node:cluster, else local. */
  static forProcess(): NotificationBus {
    if (typeof process.send !== 'function') return new NotificationBus(null);
    const send = process.send.bind(process);
    return new NotificationBus((message) => {
      send({ type: 'notify', message });
    });
  }

  publish(message: ChangeMessage): void {
    if (this.send === null) this.deliver(message);
    else this.send(message);
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
