import type { ChangeMessage } from '../notifications/messages.js';
import type { WorkerRole } from '../notifications/ipc.js';

/**
 * Which workers a change is relayed to (issue #10: each relay is IPC work for the master and the
 * worker). Changes only serve Socket.IO clients, so they go only to the API workers holding a socket
 * of that user: a worker says `listen` when it gets its first socket of a user and when it loses its
 * last one (src/socket-io/socket-sessions.ts). Access changes are no exception: no worker caches
 * accesses (each request reads its access with its user, src/api/resolve-user.ts), so there is
 * nothing to empty elsewhere. Which users have a listener at all is what every worker is told
 * (src/master/listener-broadcast.ts): a worker sends no change of the others.
 */
export class ChangeRouting {
  private readonly listening = new Map<number, Set<string>>();
  /** Users → how many workers listen to them. */
  private readonly listeners = new Map<string, number>();

  /** Answers `first` when `username` had no listener before, `last` when it has none left, else null. */
  listen(workerId: number, username: string, on: boolean): 'first' | 'last' | null {
    let users = this.listening.get(workerId);
    if (on) {
      if (users?.has(username) === true) return null;
      if (users === undefined) {
        users = new Set();
        this.listening.set(workerId, users);
      }
      users.add(username);
      const n = (this.listeners.get(username) ?? 0) + 1;
      this.listeners.set(username, n);
      return n === 1 ? 'first' : null;
    }
    if (users?.delete(username) !== true) return null;
    if (users.size === 0) this.listening.delete(workerId);
    return this.dropListener(username) ? 'last' : null;
  }

  /** A worker gone: its sockets went with it. Answers the users left without a listener. */
  forget(workerId: number): string[] {
    const users = this.listening.get(workerId);
    this.listening.delete(workerId);
    return [...(users ?? [])].filter((u) => this.dropListener(u));
  }

  wants(workerId: number, role: WorkerRole | undefined, m: ChangeMessage): boolean {
    return role === 'api' && this.listening.get(workerId)?.has(m.username) === true;
  }

  private dropListener(username: string): boolean {
    const n = (this.listeners.get(username) ?? 1) - 1;
    if (n > 0) this.listeners.set(username, n);
    else this.listeners.delete(username);
    return n <= 0;
  }
}
