import { isChangeMessage, type ChangeMessage } from './messages.js';

/** Typed messages between the master and its cluster workers. */
export type WorkerRole = 'api' | 'hfs' | 'previews';

export interface CoreState {
  /** SIGTERM received: /ready answers 503 while requests are still served. */
  draining: boolean;
  /** Roles that crash-looped and are no longer re-forked: /ready answers 503. */
  failedRoles: WorkerRole[];
  /**
   * Until the master has flagged this core available in the platform DB: /ready answers 503, so a
   * load balancer or a test never sends a registration that placement would still refuse.
   */
  starting?: boolean;
}

export type MasterToWorker =
  | { type: 'state'; state: CoreState }
  /** Go ahead (answer to `loaded`): the databases are migrated, start serving. */
  | { type: 'serve' }
  | { type: 'shutdown' }
  /** An accepted connection; its socket travels as the message's handle (src/master/connection-broker.ts). */
  | { type: 'conn'; id: number }
  /** A change notification relayed to the workers holding sockets of its user (src/notifications/bus.ts). */
  | { type: 'notify'; message: ChangeMessage }
  /**
   * Users some worker of the core now listens to (on) or no longer does (off); `reset`: the whole
   * list (a worker that just loaded). With `seq` the master waits for a `listeners-ack` (src/master/listener-broadcast.ts).
   */
  | { type: 'listeners'; usernames: string[]; on: boolean; reset?: boolean; seq?: number }
  /** Every worker knows of the listener announced by `listen` `id`: the socket may connect. */
  | { type: 'listen-ack'; id: number };

export type WorkerToMaster =
  /** App built, nothing touched yet: waiting for `serve` (src/master/worker-pool.ts forkAll). */
  | { type: 'loaded'; role: WorkerRole }
  | { type: 'ready'; role: WorkerRole; port: number }
  | { type: 'notify'; message: ChangeMessage }
  /**
   * First socket of `username` on this worker (on) or its last one gone (off): src/master/change-routing.ts.
   * With `id` (on) the master answers `listen-ack` once every worker sends it that user's changes.
   */
  | { type: 'listen'; username: string; on: boolean; id?: number }
  | { type: 'listeners-ack'; seq: number }
  /** The worker holds the connection `id`: the master closes its own copy. */
  | { type: 'conn-ack'; id: number };

function typeOf(m: unknown): unknown {
  return typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
}

export function isMasterMessage(m: unknown): m is MasterToWorker {
  const t = typeOf(m);
  if (t === 'notify') return isChangeMessage((m as { message?: unknown }).message);
  if (t === 'conn' || t === 'listen-ack') return typeof (m as { id?: unknown }).id === 'number';
  if (t === 'listeners') {
    const l = m as { usernames?: unknown; on?: unknown; seq?: unknown };
    return Array.isArray(l.usernames) && l.usernames.every((u) => typeof u === 'string') && typeof l.on === 'boolean' && (l.seq === undefined || typeof l.seq === 'number');
  }
  return t === 'state' || t === 'serve' || t === 'shutdown';
}

export function isWorkerMessage(m: unknown): m is WorkerToMaster {
  const t = typeOf(m);
  if (t === 'notify') return isChangeMessage((m as { message?: unknown }).message);
  if (t === 'conn-ack') return typeof (m as { id?: unknown }).id === 'number';
  if (t === 'listeners-ack') return typeof (m as { seq?: unknown }).seq === 'number';
  if (t === 'listen') {
    const l = m as { username?: unknown; on?: unknown; id?: unknown };
    return typeof l.username === 'string' && typeof l.on === 'boolean' && (l.id === undefined || typeof l.id === 'number');
  }
  return t === 'ready' || t === 'loaded';
}
