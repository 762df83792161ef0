import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { sleep } from '../util/backoff.js';

/**
 * The worker end of the master's connection broker (src/master/connection-broker.ts): the worker's
 * HTTP server never listens itself; the master hands it accepted sockets, which it serves as if it
 * had accepted them. Because node:http only tracks connections (request and header timeouts, idle
 * keep-alive closing) once its server has emitted `listening`, `start()` emits it.
 */
export class ConnectionIntake {
  private readonly sockets = new Set<Socket>();
  private closing = false;

  constructor(private readonly server: Server) {}

  /** Before the first connection: starts node:http's connection tracking. */
  start(): void {
    this.server.emit('listening');
  }

  /** Serves a socket accepted by the master. */
  accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    // As on a socket node:http accepts itself: a client's half-close is for http to handle.
    socket.allowHalfOpen = true;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.server.emit('connection', socket);
  }

  get open(): number {
    return this.sockets.size;
  }

  /**
   * Once the app is closing (new requests get 503 and `Connection: close`): waits until every
   * connection is gone, closing each keep-alive connection as soon as its last request is answered.
   * Bounded by the worker's forced exit (cluster.shutdownTimeoutMs). WebSockets are closed by
   * Socket.IO's own preClose hook, registered before this one.
   */
  async drain(): Promise<void> {
    this.closing = true;
    while (this.sockets.size > 0) {
      this.server.closeIdleConnections();
      await sleep(50);
    }
  }
}
