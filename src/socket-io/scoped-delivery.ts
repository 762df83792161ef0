import type { Services } from '../api/context.js';
import { resolveScope } from '../domain/scope-query.js';
import { authenticate } from '../auth/authenticate.js';
import { AccessLogic } from '../domain/access-logic.js';
import { matchedKeys } from '../domain/scope-match.js';
import { StreamsTree } from '../domain/streams-tree.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeMessage } from '../notifications/messages.js';
import type { UserSocket } from './socket-events.js';

/**
 * `notificationsChanged` for sockets holding scopes (docs/api.md#scoped-subscriptions). A scope's
 * streams are expanded when it is resolved, so after a stream or access change the scopes of the
 * user's sockets are resolved again (new child streams join, streams no longer readable leave; a
 * scope that no longer resolves is dropped, as the reference prunes it) before the change is matched.
 * Messages of one user are handled one after the other, in the order they came.
 */
export class ScopedDelivery {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly services: Services,
    private readonly log: Logger,
  ) {}

  deliver(sockets: UserSocket[], m: ChangeMessage): void {
    const previous = this.queues.get(m.username) ?? Promise.resolve();
    const next = previous
      .then(() => this.run(sockets, m))
      .catch((err: unknown) => this.log.error({ err }, 'scoped notification failed'))
      .finally(() => {
        if (this.queues.get(m.username) === next) this.queues.delete(m.username);
      });
    this.queues.set(m.username, next);
  }

  private async run(sockets: UserSocket[], m: ChangeMessage): Promise<void> {
    if (m.change === 'streamsChanged' || m.change === 'accessesChanged') await this.reresolve(sockets);
    for (const socket of sockets) {
      if (socket.disconnected || socket.data.scopes.size === 0) continue;
      const keys = matchedKeys(socket.data.scopes, m.change, m.items);
      if (keys.length > 0) socket.emit('notificationsChanged', { keys });
    }
  }

  private async reresolve(sockets: UserSocket[]): Promise<void> {
    const first = sockets[0];
    if (first === undefined) return;
    const tree = new StreamsTree(await this.services.stores.streams.all(first.data.user.id));
    for (const socket of sockets) {
      if (socket.disconnected || socket.data.scopes.size === 0) continue;
      // Refused: the socket re-check (same message) disconnects it; its scopes are left as they are.
      const access = await authenticate(this.services, socket.data.user, socket.data.token).catch(() => null);
      if (access === null) continue;
      const logic = new AccessLogic(access, tree);
      for (const [key, scope] of [...socket.data.scopes]) {
        try {
          socket.data.scopes.set(key, resolveScope({ tree, logic }, { key, kind: scope.kind, query: scope.query }));
        } catch {
          socket.data.scopes.delete(key);
        }
      }
    }
  }
}
