import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { CoreState } from '../notifications/ipc.js';
import { CoresRepository } from '../platform/cores.js';
import { RegistrationsRepository } from '../platform/registrations.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { createEngine } from '../storage/engine-registry.js';
import type { UserDataEngine } from '../storage/interfaces/engine-module.js';

const SWEEP_EVERY_MS = 30_000;

/**
 * Keeps this core's `available` flag in the platform DB in step with its readiness (issue #15):
 * cleared while the core drains, while an API role crash-loops, or while its user-data database or local
 * rqlited fails its check; set again on recovery. Placement and DNS skip unavailable cores. While
 * the local rqlited is down the flag cannot be written from here: it is written on its recovery
 * (the other cores' placement then meets the failure and answers 503, nothing half-registered).
 * Also releases registration reservations a dead placing core left pending.
 */
export class AvailabilityReporter {
  private timer: NodeJS.Timeout | null = null;
  // Made at the first check: the embedded database's generated password exists only once it started.
  private engine: UserDataEngine | null = null;
  private readonly cores: CoresRepository;
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
    this.cores = new CoresRepository(platform);
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
    this.timer = null;
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
      return;
    }
    await this.write(reasons.length === 0, reasons.join('; '));
    if (rq.ok && Date.now() - this.lastSweep > SWEEP_EVERY_MS) {
      this.lastSweep = Date.now();
      const swept = await this.registrations.sweep(this.config.registration.pendingTtlMs).catch(() => 0);
      if (swept > 0) this.logger.warn({ swept }, 'released registration reservations never confirmed');
    }
  }

  private async write(available: boolean, reason: string): Promise<void> {
    try {
      const changed = await this.cores.setAvailable(this.config.core.id, available);
      if (changed || this.last !== available) {
        this.logger[available ? 'info' : 'warn']({ available, reason: reason || 'ready' }, 'core availability');
      }
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
