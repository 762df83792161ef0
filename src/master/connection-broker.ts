import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../logging/logger.js';
import type { MasterToWorker, WorkerRole } from '../notifications/ipc.js';

export interface ConnectionQueueSettings {
  /** Connections waiting for a worker, per port; more are closed at once. */
  maxConnections: number;
  /** A connection still waiting after this long is closed. */
  timeoutMs: number;
}

interface Queued {
  socket: Socket;
  timer: NodeJS.Timeout;
}

interface Port {
  role: WorkerRole;
  server: Server;
  /** Workers of the role that said they serve, in round-robin order. */
  ready: Worker[];
  next: number;
  queue: Queued[];
  failed: boolean;
  /** Connections closed unserved since the last warning (one line per second at most). */
  dropped: number;
  lastWarnAt: number;
}

/** Sent to a worker, not yet acknowledged: the master keeps its copy to hand it on if the worker dies. */
interface Handed {
  id: number;
  role: WorkerRole;
  workerId: number;
  socket: Socket;
}

/**
 * The public ports, owned by the master (issue #16, hole 8). node:cluster closes a port's listening
 * socket when the last worker of that port goes away, so a lone worker's restart refused connections.
 * Here the master listens itself (`pauseOnConnect`: it never reads a byte) and hands each accepted
 * socket to a ready worker of the port's role over IPC, round-robin, as cluster's own scheduler does.
 * While a role has no ready worker, connections wait in a bounded queue. A socket handed to a worker
 * that dies before acknowledging it is handed to the next one, so only requests a worker had already
 * taken can be lost with it. Keep-alive requests and WebSocket upgrades stay on the worker that
 * took the connection.
 */
export class ConnectionBroker {
  private readonly ports = new Map<WorkerRole, Port>();
  private readonly handed = new Map<number, Handed>();
  private nextId = 1;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly settings: ConnectionQueueSettings,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'connections' });
  }

  /** Opens the role's port; connections are queued until a worker of the role is ready. */
  async listen(role: WorkerRole, port: number, host: string): Promise<void> {
    // noDelay as node:http sets it on the sockets it accepts itself.
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.accept(entry, socket));
    const entry: Port = { role, server, ready: [], next: 0, queue: [], failed: false, dropped: 0, lastWarnAt: 0 };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, backlog: 511 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message, workerRole: role }, 'listening socket error'));
    this.ports.set(role, entry);
  }

  /** The worker now serves: queued connections go to it first. */
  workerReady(role: WorkerRole, worker: Worker): void {
    const port = this.ports.get(role);
    if (port === undefined || port.ready.includes(worker)) return;
    port.ready.push(worker);
    for (let q = port.queue.shift(); q !== undefined; q = port.queue.shift()) {
      clearTimeout(q.timer);
      this.dispatch(port, q.socket);
    }
  }

  /** The worker exited: connections it had not acknowledged go to another worker (or the queue). */
  workerGone(workerId: number): void {
    for (const port of this.ports.values()) port.ready = port.ready.filter((w) => w.id !== workerId);
    for (const h of [...this.handed.values()]) {
      if (h.workerId !== workerId) continue;
      this.handed.delete(h.id);
      const port = this.ports.get(h.role);
      if (port === undefined || h.socket.destroyed) continue;
      this.log.debug({ workerRole: h.role }, 'connection handed on: its worker died before taking it');
      this.dispatch(port, h.socket);
    }
  }

  /** The worker took the connection: the master's copy of the socket is closed (the worker's stays open). */
  acknowledged(id: number): void {
    const h = this.handed.get(id);
    if (h === undefined) return;
    this.handed.delete(id);
    h.socket.destroy();
  }

  /** A crash-looping role gets no worker again: its waiting connections are closed, new ones at once. */
  roleFailed(role: WorkerRole): void {
    const port = this.ports.get(role);
    if (port === undefined) return;
    port.failed = true;
    if (port.ready.length > 0) return;
    for (const q of port.queue.splice(0)) this.drop(q.socket, q.timer);
  }

  /** Stops accepting on every port (drain over, or failed start) and closes the waiting connections. */
  close(): void {
    this.closed = true;
    // The listening sockets close at once; close()'s callback would also wait for sockets handed out
    // but not yet acknowledged, which the workers' own shutdown takes care of.
    for (const p of this.ports.values()) {
      p.server.close();
      for (const q of p.queue.splice(0)) this.drop(q.socket, q.timer);
    }
  }

  private accept(port: Port, socket: Socket): void {
    // The master never reads from these sockets; an error (reset while waiting) only ends the wait.
    socket.on('error', () => undefined);
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.dispatch(port, socket);
  }

  private dispatch(port: Port, socket: Socket): void {
    const worker = this.pick(port);
    if (worker === null) {
      this.enqueue(port, socket);
      return;
    }
    const id = this.nextId++;
    this.handed.set(id, { id, role: port.role, workerId: worker.id, socket });
    const message: MasterToWorker = { type: 'conn', id };
    // keepOpen: the master's copy stays open until the worker acknowledges (see workerGone).
    worker.send(message, socket, { keepOpen: true }, (err: Error | null) => {
      if (err === null || !this.handed.has(id)) return;
      this.handed.delete(id);
      port.ready = port.ready.filter((w) => w !== worker);
      this.dispatch(port, socket);
    });
  }

  private pick(port: Port): Worker | null {
    port.ready = port.ready.filter((w) => w.isConnected() && !w.isDead());
    if (port.ready.length === 0) return null;
    port.next = (port.next + 1) % port.ready.length;
    return port.ready[port.next] ?? null;
  }

  private enqueue(port: Port, socket: Socket): void {
    if (port.failed || port.queue.length >= this.settings.maxConnections) {
      this.refuse(port, socket, port.failed ? 'role crash-looped' : 'queue full');
      return;
    }
    const timer = setTimeout(() => {
      port.queue = port.queue.filter((q) => q.socket !== socket);
      this.refuse(port, socket, `no worker within ${this.settings.timeoutMs} ms`);
    }, this.settings.timeoutMs);
    port.queue.push({ socket, timer });
  }

  private refuse(port: Port, socket: Socket, reason: string): void {
    socket.destroy();
    port.dropped += 1;
    const now = Date.now();
    if (now - port.lastWarnAt < 1000) return;
    this.log.warn({ workerRole: port.role, closed: port.dropped, reason }, 'connections closed unserved: no worker of the role took them');
    port.dropped = 0;
    port.lastWarnAt = now;
  }

  private drop(socket: Socket, timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    socket.destroy();
  }
}
