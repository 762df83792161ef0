/**
 * Counters of attempts (failed logins, registrations, …) per key, shared by every worker and clone
 * of a core because they live in its database (issue #16: password guessing).
 */
export interface AttemptPolicy {
  /** Attempts allowed before the first delay. */
  free: number;
  /** First delay; each further attempt doubles it, up to `maxDelaySeconds`. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** A counter left alone this long starts again from zero. */
  forgetAfterSeconds: number;
}

export type AttemptOutcome = { allowed: true; attempts: number } | { allowed: false; retryAfterSeconds: number };

export interface AttemptsStore {
  /**
   * Counts one attempt on `key` unless it is locked, atomically: parallel callers each get their own
   * count, so a burst cannot slip through together. Reaching `policy.free` attempts locks the key for
   * `base · 2^(attempts − free)` seconds (capped). A locked key is not counted and answers when it opens.
   */
  reserve(key: string, policy: AttemptPolicy, now: number): Promise<AttemptOutcome>;
  /** Takes one attempt back (it succeeded); the lock goes when the count falls below `free`. */
  release(key: string, policy: AttemptPolicy): Promise<void>;
  /** Forgets the key (a successful login clears its username's failures). */
  clear(key: string): Promise<void>;
}
