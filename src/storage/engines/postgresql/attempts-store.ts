import type { AttemptOutcome, AttemptPolicy, AttemptsStore } from '../../interfaces/attempts-store.js';
import type { Db } from './db.js';

/**
 * One statement per operation, so concurrent workers (and clones of the core) never lose a count:
 * the upsert takes the row lock, sees the committed count and returns the new one.
 */
export class PgAttemptsStore implements AttemptsStore {
  constructor(
    private readonly pool: Db,
    /**
     * Locks this process was refused by, until when, so a storm on a locked key is answered without
     * touching the database. A lock ends by its time, or when the attempt that set it succeeds
     * (release, clear): that attempt was already running, so at worst a worker that saw the lock
     * in between refuses that key until the lock's time. Shared by the stores of one worker.
     */
    private readonly knownLocks: Map<string, number> = new Map(),
  ) {}

  async reserve(key: string, policy: AttemptPolicy, now: number): Promise<AttemptOutcome> {
    const known = this.knownLocks.get(key);
    if (known !== undefined) {
      if (known > now) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(known - now)) };
      this.knownLocks.delete(key);
    }
    const { rows } = await this.pool.query<{ attempts: number; locked_until: number; counted: boolean }>(
      `INSERT INTO auth_attempts AS a (key, attempts, last_at, locked_until)
         VALUES ($1, 1, $2::float8, CASE WHEN $3::int <= 1 THEN $2::float8 + least($5::float8, $4::float8) ELSE 0 END)
       ON CONFLICT (key) DO UPDATE SET
         attempts = CASE WHEN a.last_at < $2 - $6 THEN 1 ELSE a.attempts + 1 END,
         last_at = $2,
         locked_until = CASE
           WHEN (CASE WHEN a.last_at < $2 - $6 THEN 1 ELSE a.attempts + 1 END) >= $3
           THEN $2 + least($5, $4 * power(2, least(40, (CASE WHEN a.last_at < $2 - $6 THEN 1 ELSE a.attempts + 1 END) - $3)))
           ELSE 0 END
         WHERE a.locked_until <= $2
       RETURNING attempts, locked_until, true AS counted`,
      [key, now, policy.free, policy.baseDelaySeconds, policy.maxDelaySeconds, policy.forgetAfterSeconds],
    );
    // Opportunistic cleanup keeps the table small without a timer: rows idle for a day are dead.
    if (Math.random() < 0.01) await this.pool.query('DELETE FROM auth_attempts WHERE last_at < $1 AND locked_until < $1', [now - 86_400]);
    const row = rows[0];
    // Not remembered even if this attempt set the lock: its success may yet take the lock back.
    if (row !== undefined) return { allowed: true, attempts: row.attempts };
    // The WHERE refused the update: the key is locked.
    const locked = await this.pool.query<{ locked_until: number }>('SELECT locked_until FROM auth_attempts WHERE key = $1', [key]);
    const until = locked.rows[0]?.locked_until ?? now;
    this.remember(key, until);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(until - now)) };
  }

  private remember(key: string, until: number): void {
    if (this.knownLocks.size >= 10_000) this.knownLocks.clear();
    this.knownLocks.set(key, until);
  }

  async release(key: string, policy: AttemptPolicy): Promise<void> {
    this.knownLocks.delete(key);
    await this.pool.query(
      `UPDATE auth_attempts SET attempts = greatest(attempts - 1, 0),
         locked_until = CASE WHEN attempts - 1 < $2 THEN 0 ELSE locked_until END
       WHERE key = $1`,
      [key, policy.free],
    );
  }

  async clear(key: string): Promise<void> {
    this.knownLocks.delete(key);
    await this.pool.query('DELETE FROM auth_attempts WHERE key = $1', [key]);
  }
}
