/** Typed messages between the master and its cluster workers. */
export type WorkerRole = 'api' | 'hfs' | 'previews';

export interface CoreState {
  /** SIGTERM received: /ready answers 503 while requests are still served. */
  draining: boolean;
  /** Roles that crash-looped and are no longer re-forked: /ready answers 503. */
  failedRoles: WorkerRole[];
}

export type MasterToWorker = { type: 'state'; state: CoreState } | { type: 'shutdown' };

export type WorkerToMaster = { type: 'ready'; role: WorkerRole; port: number };

export function isMasterMessage(m: unknown): m is MasterToWorker {
  return typeof m === 'object' && m !== null && ((m as { type?: unknown }).type === 'state' || (m as { type?: unknown }).type === 'shutdown');
}

export function isWorkerMessage(m: unknown): m is WorkerToMaster {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready';
}
