import type { ChangeMessage } from '../notifications/messages.js';
import type { WorkerRole } from '../notifications/ipc.js';

/**
 * Which workers a change is relayed to (issue #10: each relay is IPC work for the master and the
 * worker). Changes only serve Socket.IO clients, so they go only to the API workers holding a socket
 * of that user: a worker says `listen` when it gets its first socket of a user and when it loses its
 * last one (src/socket-io/socket-sessions.ts). The worker sends it as the socket connects, before any
 * request of that client can make a change. Access changes are no exception: no worker caches
 * accesses (each request reads its access with its user, src/api/resolve-user.ts), so there is
 * nothing to empty elsewhere.
 */
export class ChangeRouting {
  private readonly listening = new Map<number, Set<string>>();

  listen(workerId: number, username: string, on: boolean): void {
    const users = this.listening.get(workerId);
    if (on) {
      if (users === undefined) this.listening.set(workerId, new Set([username]));
      else users.add(username);
    } else {
      users?.delete(username);
      if (users?.size === 0) this.listening.delete(workerId);
    }
  }

  /** A worker gone: its sockets went with it. */
  forget(workerId: number): void {
    this.listening.delete(workerId);
  }

  wants(workerId: number, role: WorkerRole | undefined, m: ChangeMessage): boolean {
    return role === 'api' && this.listening.get(workerId)?.has(m.username) === true;
  }
}
