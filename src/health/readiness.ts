import type { DependencyHealth } from '../storage/interfaces/storage-engine.js';
import type { CoreState } from '../notifications/ipc.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, DependencyHealth>;
}

export interface ReadinessSources {
  coreState: () => CoreState;
  /** Named dependency checks, each expected to answer within its own timeout. */
  dependencies: Record<string, () => Promise<DependencyHealth>>;
  cacheMs: number;
  /** Backstop: a check still pending after this long counts as failed (default 2000 ms). */
  checkTimeoutMs?: number;
  now?: () => number;
}

/**
 * What /ready answers. Dependency results are cached for `cacheMs` (≤ 1 s) and concurrent polls share
 * one in-flight check, so load-balancer polling cannot stampede the databases. Core state (draining,
 * crash-looping roles) is read live: a drain turns /ready 503 at once.
 */
export class Readiness {
  private cached: { at: number; checks: Record<string, DependencyHealth> } | null = null;
  private inFlight: Promise<Record<string, DependencyHealth>> | null = null;
  private readonly now: () => number;

  constructor(private readonly sources: ReadinessSources) {
    this.now = sources.now ?? Date.now;
  }

  async report(): Promise<ReadinessReport> {
    const deps = await this.dependencyChecks();
    const state = this.sources.coreState();
    const checks: Record<string, DependencyHealth> = {
      draining: state.draining
        ? { ok: false, detail: 'core is shutting down' }
        : state.starting === true
          ? { ok: false, detail: 'core is starting: not yet flagged available for placement' }
          : { ok: true, detail: 'serving' },
      workers:
        state.failedRoles.length > 0
          ? { ok: false, detail: `crash-looping roles: ${state.failedRoles.join(', ')}` }
          : { ok: true, detail: 'all roles running' },
      ...deps,
    };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private async dependencyChecks(): Promise<Record<string, DependencyHealth>> {
    const c = this.cached;
    if (c !== null && this.now() - c.at < this.sources.cacheMs) return c.checks;
    if (this.inFlight !== null) return this.inFlight;
    this.inFlight = (async () => {
      const entries = await Promise.all(
        Object.entries(this.sources.dependencies).map(async ([name, check]) => {
          // Started inside a promise so a check that throws synchronously also becomes ok:false,
          // instead of rejecting the whole report (/ready would answer 500 without naming the check).
          // The race bounds a check that never settles: it must not hold every later /ready poll.
          let timer: NodeJS.Timeout | undefined;
          const limit = this.sources.checkTimeoutMs ?? 2000;
          const timeout = new Promise<DependencyHealth>((resolve) => {
            timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${limit} ms` }), limit);
          });
          const run = Promise.resolve()
            .then(() => check())
            .catch((err: Error) => ({ ok: false, detail: err.message }));
          const result = await Promise.race([run, timeout]);
          clearTimeout(timer);
          return [name, result] as const;
        }),
      );
      const checks = Object.fromEntries(entries);
      this.cached = { at: this.now(), checks };
      return checks;
    })();
    try {
      return await this.inFlight;
    } finally {
      this.inFlight = null;
    }
  }
}
