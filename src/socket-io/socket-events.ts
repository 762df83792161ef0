import type { Socket } from 'socket.io';
import type { User } from '../domain/types.js';
import type { Meta } from '../domain/meta.js';
import type { PreparedScope } from '../domain/scope-match.js';

/** What a method call's ack carries (Pryv API §6): `ack(null, {…result, meta})` or `ack({error, meta})`. */
export type MethodAck = (error: { error: unknown; meta: Meta } | null, result?: Record<string, unknown>) => void;

/**
 * Client → server: every API method id (`events.get`, `callBatch`, …) with its params and an ack.
 * Handled with `onAny`, so the map only types the shape.
 */
export interface ClientToServerEvents {
  [methodId: string]: (params: unknown, ack: MethodAck) => void;
}

/** Server → client change messages (Pryv API §6); only `accessUpdated` carries a payload. */
export interface ServerToClientEvents {
  eventsChanged: () => void;
  streamsChanged: () => void;
  accessesChanged: () => void;
  accessUpdated: (payload: Record<string, unknown>) => void;
  /** Sockets holding scopes get this instead of the three above: the keys of the scopes matched. */
  notificationsChanged: (payload: { keys: string[] }) => void;
}

// No cross-server events: workers exchange notifications through the master (bus.ts), not an adapter.
export type InterServerEvents = Record<string, never>;

/** Set by the handshake; what later calls and re-checks authenticate with. */
export interface SocketData {
  user: User;
  token: string;
  callerId: string | null;
  origin: string | null;
  referer: string | null;
  /** The access's `expires` at the handshake (seconds), re-read at each re-check. */
  expires: number | null;
  /** Scoped subscriptions of this socket, by key (socket-scopes.ts). */
  scopes: Map<string, PreparedScope>;
}

export type UserSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
