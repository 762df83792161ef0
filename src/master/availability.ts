import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { CoreState } from '../notifications/ipc.js';
import { CoreInstancesRepository } from '../platform/core-instances.js';
import { rqliteNodeId } from './rqlited.js';
import { members } from '../cluster/membership.js';
import { RegistrationsRepository } from '../platform/registrations.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { createEngine } from '../storage/engine-registry.js';
import type { UserDataEngine } from '../storage/interfaces/engine-module.js';

const SWEEP_EVERY_MS = 30_000;

/**
 * Keeps this core's `available` flag in the platform DB in step with its readiness (issues #15, #13):
 * this master reports its own state (core_instances: draining, API role crash-looping, PostgreSQL or
 * local rqlited failing) every `core.availabilityIntervalMs` as a heartbeat, and the core is
 * available while one of its instances (clones) is. A first failed check is checked again at once,
 * so an outage is written within about one check, not one interval. While the local rqlited is down
 * nothing can be written from here: the rows go stale after 5 intervals (10 s at least) and any other master (a
 * clone, another core) then clears the flag; this master sets it again on recovery. Placement and
 * DNS skip unavailable cores. Also releases registration reservations a dead placing core left pending.
 */
export class AvailabilityReporter {
  private timer: NodeJS.Timeout | null = null;
  // Made at the first check: the embedded database's generated password exists only once it started.
  private engine: UserDataEngine | null = null;
  private readonly instances: CoreInstancesRepository;
  private readonly instance: string;
  private recheck: NodeJS.Timeout | null = null;
  private readonly registrations: RegistrationsRepository;
  private last: boolean | null = null;
  private failures = 0;
  private lastSweep = 0;
  private running: Promise<void> | null = null;
  private announced = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
    private readonly platform: RqliteClient,
    private readonly coreState: () => CoreState,
    /** Called once, the first time the flag is written `true` (the core then leaves `starting`). */
    private readonly onFirstAvailable: () => void = () => undefined,
  ) {
    this.instances = new CoreInstancesRepository(platform);
    this.instance = rqliteNodeId(config);
    this.registrations = new RegistrationsRepository(platform);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.config.core.availabilityIntervalMs);
    this.timer.unref();
  }

  /** One check and write; concurrent calls share it. */
  tick(): Promise<void> {
    this.running ??= this.check().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Draining: clear the flag at once (before the drain delay), whatever the checks say. */
  async markUnavailable(): Promise<void> {
    this.stop();
    await this.running;
    await this.write(false, 'draining');
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.recheck !== null) clearTimeout(this.recheck);
    this.timer = null;
    this.recheck = null;
  }

  async close(): Promise<void> {
    this.stop();
    await this.running;
    await this.engine?.close().catch(() => undefined);
  }

  private async check(): Promise<void> {
    const timeout = Math.max(this.config.health.checkTimeoutMs, 1000);
    const state = this.coreState();
    const reasons: string[] = [];
    if (state.draining) reasons.push('draining');
    if (state.failedRoles.includes('api')) reasons.push('api workers crash-looping');
    this.engine ??= await createEngine(this.config, this.logger, { poolSize: 1 });
    const engine = this.engine;
    const [db, rq] = await Promise.all([engine.health(timeout).catch((e: Error) => ({ ok: false, detail: e.message })), this.platform.isReady(timeout)]);
    // One slow answer on a loaded machine is not an outage: dependencies must fail twice in a row.
    const depsOk = db.ok && rq.ok;
    this.failures = depsOk ? 0 : this.failures + 1;
    if (!depsOk && (this.failures >= 2 || this.last === null)) {
      if (!db.ok) reasons.push(`${engine.name}: ${db.detail}`);
      if (!rq.ok) reasons.push(`rqlited: ${rq.detail}`);
    } else if (!depsOk && reasons.length === 0) {
      // Checked again at once rather than one interval later (the write then comes within a check).
      if (this.timer !== null && this.recheck === null) {
        this.recheck = setTimeout(() => {
          this.recheck = null;
          void this.tick();
        }, 200);
        this.recheck.unref();
      }
      return;
    }
    await this.write(reasons.length === 0, reasons.join('; '));
    if (rq.ok) await this.markUnreachable(timeout);
    if (rq.ok && Date.now() - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = Date.now();
      const swept = await this.registrations.sweep(this.config.registration.pendingTtlMs).catch(() => 0);
      if (swept > 0) this.logger.warn({ swept }, 'released registration reservations never confirmed');
    }
  }

  /**
   * On the master whose rqlited leads the cluster: instances whose rqlited the leader cannot reach are
   * marked unavailable now (issue #13), not once their heartbeat is stale. The leader's view decides:
   * a node it cannot reach cannot take part in writes either, so a partial partition seen from a
   * follower does not make instances flap. Followers only ask their own rqlited's state (a local
   * call): the members' probes (`/nodes` dials every node) run on the leader alone.
   */
  private async markUnreachable(timeoutMs: number): Promise<void> {
    try {
      const status = await this.platform.request('GET', '/status?key=store', timeoutMs);
      if (status.status !== 200 || (JSON.parse(status.text) as { raft?: { state?: string } }).raft?.state !== 'Leader') return;
      const all = await members(this.platform, 2 * timeoutMs);
      if (all.find((m) => m.id === this.instance)?.leader !== true) return;
      const lost = all.filter((m) => !m.reachable && m.id !== this.instance).map((m) => m.id);
      const changed = await this.instances.markUnreachable(lost, this.instance);
      if (changed > 0) this.logger.warn({ instances: lost }, 'rqlited unreachable: instances marked unavailable');
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'could not check the cluster members');
    }
  }

  private async write(available: boolean, reason: string): Promise<void> {
    try {
      // Silent for 5 intervals (10 s at least: a loaded machine's slow writes are not an outage): gone.
      const staleAt = Date.now() + Math.max(5 * this.config.core.availabilityIntervalMs, 10_000);
      const changed = await this.instances.report({ coreId: this.config.core.id, instance: this.instance, available, reason, staleAt });
      if (this.last !== available) {
        this.logger[available ? 'info' : 'warn']({ available, instance: this.instance, reason: reason || 'ready' }, 'core availability');
      }
      if (changed) this.logger.info('cores availability recomputed from their instances');
      this.last = available;
      if (available && !this.announced) {
        this.announced = true;
        this.onFirstAvailable();
      }
    } catch (err) {
      this.logger.debug({ err: (err as Error).message, available }, 'could not write core availability');
    }
  }
}
