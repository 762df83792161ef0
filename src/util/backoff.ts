export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/**
 * Exponential backoff for restarts and retries. A run that stayed up at least `stableAfterMs`
 * counts as healthy, so the next failure starts again from `initialMs`.
 */
export class Backoff {
  private attempt = 0;
  private readonly stableAfterMs: number;

  constructor(
    private readonly policy: BackoffPolicy,
    stableAfterMs?: number,
  ) {
    this.stableAfterMs = stableAfterMs ?? Math.max(policy.maxMs, 10_000);
  }

  /** Delay before the next attempt; `uptimeMs` = how long the last run lasted, if known. */
  next(uptimeMs?: number): number {
    if (uptimeMs !== undefined && uptimeMs >= this.stableAfterMs) this.attempt = 0;
    const delay = Math.min(this.policy.maxMs, this.policy.initialMs * this.policy.factor ** this.attempt);
    this.attempt += 1;
    return Math.round(delay);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/** Counts exits in a sliding window; `record` answers true once they exceed `maxExits`. */
export class CrashLoopDetector {
  private exits: number[] = [];

  constructor(private readonly limits: { maxExits: number; windowMs: number }) {}

  record(now: number = Date.now()): boolean {
    this.exits = this.exits.filter((t) => now - t < this.limits.windowMs);
    this.exits.push(now);
    return this.exits.length > this.limits.maxExits;
  }

  get recentExits(): number {
    return this.exits.length;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
