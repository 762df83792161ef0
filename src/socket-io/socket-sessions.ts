import type { Services } from '../api/context.js';
import { authenticate } from '../auth/authenticate.js';
import { ApiError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeMessage } from '../notifications/messages.js';
import { ScopedDelivery } from './scoped-delivery.js';
import type { UserSocket } from './socket-events.js';

/** A re-check's outcome: refusal null = storage error, no verdict. */
type Verdict = { ok: true; expires: number | null } | { ok: false; refusal: ApiError | null };

/** Longest delay setTimeout honours; later expiries are left to the periodic sweep. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long an announced user without a socket yet stays listened (a handshake that never connected). */
const ANNOUNCE_GRACE_MS = 10_000;

/**
 * The sockets this worker holds, by user: change messages from the bus go to every socket of the
 * user, and each socket's token is re-checked against the store when the user's accesses change, when its access
 * expires, and every `recheckIntervalMs`. A socket whose token no longer authenticates is
 * disconnected (Pryv API §6).
 */
export class SocketSessions {
  private readonly byUser = new Map<string, Set<UserSocket>>();
  /** Users announced for a socket still in its handshake: dropped if none connects in time. */
  private readonly announced = new Map<string, { told: Promise<void>; timer: NodeJS.Timeout }>();
  private readonly expiryTimers = new Map<UserSocket, NodeJS.Timeout>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private sweeping = false;
  private readonly scoped: ScopedDelivery;
  private count = 0;

  constructor(
    private readonly services: Services,
    private readonly log: Logger,
    recheckIntervalMs: number,
  ) {
    this.scoped = new ScopedDelivery(services, log);
    this.unsubscribe = services.bus.subscribe((m) => this.onChange(m));
    this.sweepTimer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.log.error({ err }, 'socket re-check sweep failed'));
    }, recheckIntervalMs);
    this.sweepTimer.unref();
  }

  /**
   * Called by the handshake before a socket of `username` connects: resolves once every worker of
   * the core sends that user's changes and the master relays them here (NotificationBus.listen), so
   * a change the client makes as soon as it is connected reaches its socket.
   */
  announce(username: string): Promise<void> {
    if (this.byUser.has(username)) return Promise.resolve();
    const known = this.announced.get(username);
    if (known !== undefined) return known.told;
    const timer = setTimeout(() => {
      this.announced.delete(username);
      if (!this.byUser.has(username)) void this.services.bus.listen(username, false);
    }, ANNOUNCE_GRACE_MS);
    timer.unref();
    const told = this.services.bus.listen(username, true);
    this.announced.set(username, { told, timer });
    return told;
  }

  /** A socket that passed the handshake; `expires` = its access's expiry (seconds) or null. */
  add(socket: UserSocket, expires: number | null): void {
    const username = socket.data.user.username;
    let set = this.byUser.get(username);
    if (set === undefined) {
      set = new Set();
      this.byUser.set(username, set);
      const announced = this.announced.get(username);
      this.announced.delete(username);
      clearTimeout(announced?.timer);
      // Not announced (no handshake went through announce): from now on, at least.
      if (announced === undefined) void this.services.bus.listen(username, true);
    }
    set.add(socket);
    this.count += 1;
    this.armExpiry(socket, expires);
    socket.once('disconnect', () => this.remove(socket));
  }

  /** Sockets held by this worker. */
  get size(): number {
    return this.count;
  }

  private remove(socket: UserSocket): void {
    const username = socket.data.user.username;
    const set = this.byUser.get(username);
    if (set?.delete(socket) === true) this.count -= 1;
    if (set?.size === 0) {
      this.byUser.delete(username);
      void this.services.bus.listen(username, false);
    }
    clearTimeout(this.expiryTimers.get(socket));
    this.expiryTimers.delete(socket);
  }

  private armExpiry(socket: UserSocket, expires: number | null): void {
    clearTimeout(this.expiryTimers.get(socket));
    this.expiryTimers.delete(socket);
    if (expires === null) return;
    // A few ms past the expiry, so the re-check's clock is past it too.
    const delay = Math.max(0, expires * 1000 - Date.now()) + 20;
    if (delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => {
      this.recheck([socket]).catch((err: unknown) => this.log.error({ err }, 'socket re-check failed'));
    }, delay);
    timer.unref();
    this.expiryTimers.set(socket, timer);
  }

  /** Bus listener: runs inside the publisher's call when the bus is local, so it never throws. */
  private onChange(m: ChangeMessage): void {
    const sockets = this.byUser.get(m.username);
    if (sockets === undefined) return;
    let scoped = false;
    for (const socket of sockets) {
      if (m.change === 'accessUpdated') socket.emit('accessUpdated', m.payload ?? {});
      else if (socket.data.scopes.size === 0) socket.emit(m.change);
      // A socket with scopes hears of the changes its scopes match only (as the reference does).
      else scoped = true;
    }
    if (scoped) this.scoped.deliver([...sockets], m);
    if (m.change === 'accessesChanged') this.recheck([...sockets]).catch((err: unknown) => this.log.error({ err }, 'socket re-check failed'));
  }

  /**
   * Re-authenticates each socket from the store (one lookup per distinct token) and disconnects
   * those refused. A storage failure is no verdict: those sockets stay until the next check.
   */
  async recheck(sockets: UserSocket[]): Promise<void> {
    const verdicts = new Map<string, Promise<Verdict>>();
    for (const socket of sockets) {
      if (socket.disconnected) continue;
      const { user, token } = socket.data;
      const key = `${user.id}\0${token}`;
      let verdict = verdicts.get(key);
      if (verdict === undefined) {
        verdict = authenticate(this.services, user, token).then(
          (access): Verdict => ({ ok: true, expires: access.expires }),
          (err: unknown): Verdict => (err instanceof ApiError ? { ok: false, refusal: err } : { ok: false, refusal: null }),
        );
        verdicts.set(key, verdict);
      }
      const v = await verdict;
      if (socket.disconnected) continue;
      if (v.ok) this.armExpiry(socket, v.expires);
      else if (v.refusal !== null) {
        this.log.debug({ username: user.username, reason: v.refusal.id }, 'socket access no longer valid: disconnecting');
        socket.disconnect(true);
      } else this.log.warn({ username: user.username }, 'could not re-check a socket access (storage error); kept until the next check');
    }
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const set of [...this.byUser.values()]) await this.recheck([...set]);
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Stops listening and the timers (worker shutdown). The connections themselves are closed by the
   * engine without a Socket.IO disconnect, so clients see "transport close" and reconnect (to
   * another worker), unlike after a refusal.
   */
  close(): void {
    this.unsubscribe();
    clearInterval(this.sweepTimer);
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    for (const a of this.announced.values()) clearTimeout(a.timer);
    this.announced.clear();
    this.byUser.clear();
    this.count = 0;
  }
}
