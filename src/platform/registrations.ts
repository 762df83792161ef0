import { PlatformDbAmbiguousError, PlatformDbConstraintError, PlatformDbError } from './errors.js';
import type { RqliteClient } from './rqlite-client.js';
import type { Statement } from './response.js';

export class UniqueFieldTakenError extends Error {
  override name = 'UniqueFieldTakenError';
  constructor(readonly field: string) {
    super(`${field} is already taken`);
  }
}

/** No available core serves the requested hosting. */
export class NoCoreAvailableError extends Error {
  override name = 'NoCoreAvailableError';
  constructor(readonly hosting: string) {
    super(`no available core for hosting "${hosting}"`);
  }
}

/**
 * The platform DB could not tell whether the reservation was written (or could not be reached):
 * whatever was written has been released (or will be swept); the caller answers a retriable 503.
 */
export class RegistrationUnavailableError extends Error {
  override name = 'RegistrationUnavailableError';
}

/** Where a reservation goes: the least-loaded available core of a hosting, or one given core. */
export type ReservationTarget = { hosting: string } | { coreId: string };

export interface Reservation {
  username: string;
  regId: string;
  coreId: string;
  coreUrl: string;
}

const epochBump = (scope: 'users' | 'cores'): Statement => ['UPDATE cache_epochs SET epoch = epoch + 1 WHERE scope = ?', scope];

/**
 * Registration rows in the platform DB (issue #15). One rqlite transaction reserves the username and
 * every unique field, maps the user to its core and bumps that core's user count. The core is chosen
 * inside the transaction (`ORDER BY user_count, id` over the hosting's available cores), so Raft's
 * serial order makes concurrent registrations through any core spread exactly as sequential ones.
 */
export class RegistrationsRepository {
  constructor(private readonly client: RqliteClient) {}

  async reserve(username: string, regId: string, target: ReservationTarget, uniqueFields: Record<string, string>): Promise<Reservation> {
    const fields = Object.entries(uniqueFields);
    const now = Date.now();
    const insertUser: Statement =
      'coreId' in target
        ? ['INSERT INTO users (username, core_id, created_at, reg_id, pending) VALUES (?, ?, ?, ?, 1)', username, target.coreId, now, regId]
        : [
            `INSERT INTO users (username, core_id, created_at, reg_id, pending)
             SELECT ?, id, ?, ?, 1 FROM cores WHERE hosting = ? AND available = 1 ORDER BY user_count, id LIMIT 1`,
            username, now, regId, target.hosting,
          ];
    const statements: Statement[] = [
      insertUser,
      // Written only if the user row above is ours (no available core: nothing at all is written).
      ...fields.map(([f, v]): Statement => [
        'INSERT INTO unique_fields (field, value, username, reg_id) SELECT ?, ?, username, reg_id FROM users WHERE username = ? AND reg_id = ?',
        f, v, username, regId,
      ]),
      ['UPDATE cores SET user_count = user_count + 1 WHERE id = (SELECT core_id FROM users WHERE username = ? AND reg_id = ?)', username, regId],
    ];
    try {
      const [first] = await this.client.execute(statements, { transaction: true });
      if (first?.rows_affected !== 1) throw await this.noCore('hosting' in target ? target.hosting : target.coreId);
    } catch (err) {
      if (err instanceof PlatformDbConstraintError) {
        throw new UniqueFieldTakenError(err.statementIndex === 0 ? 'username' : (fields[err.statementIndex - 1]?.[0] ?? 'unknown'));
      }
      if (err instanceof PlatformDbAmbiguousError) return this.resolveInDoubt(username, regId);
      if (err instanceof PlatformDbError) throw new RegistrationUnavailableError(err.message);
      throw err;
    }
    const found = await this.readBack(username, regId).catch((err: Error) => {
      throw new RegistrationUnavailableError(err.message);
    });
    if (found === null) throw new RegistrationUnavailableError('reservation not found after its write');
    return found;
  }

  /** Nothing placed: an unknown hosting (NoCoreAvailableError), or all its cores unavailable (retriable). */
  private async noCore(hosting: string): Promise<Error> {
    const rows = await this.client.queryRows('SELECT count(*) AS n FROM cores WHERE hosting = ?', [hosting], 'linearizable').catch(() => []);
    return Number(rows[0]?.['n'] ?? 0) > 0
      ? new RegistrationUnavailableError(`every core of hosting "${hosting}" is unavailable`)
      : new NoCoreAvailableError(hosting);
  }

  /** The reservation of this registration id, if it exists (linearizable). */
  async readBack(username: string, regId: string): Promise<Reservation | null> {
    const rows = await this.client.queryRows(
      'SELECT u.core_id, c.url FROM users u JOIN cores c ON c.id = u.core_id WHERE u.username = ? AND u.reg_id = ?',
      [username, regId],
      'linearizable',
    );
    const r = rows[0];
    return r === undefined ? null : { username, regId, coreId: String(r['core_id']), coreUrl: String(r['url']) };
  }

  /**
   * An in-doubt write (timeout, leadership lost while committing): a linearizable read settles it —
   * ours, someone else's (taken), or absent (released by id again in case it lands late; then 503).
   */
  private async resolveInDoubt(username: string, regId: string): Promise<Reservation> {
    let owner: { regId: string | null } | null;
    try {
      const ours = await this.readBack(username, regId);
      if (ours !== null) return ours;
      const rows = await this.client.queryRows('SELECT reg_id FROM users WHERE username = ?', [username], 'linearizable');
      owner = rows[0] === undefined ? null : { regId: rows[0]['reg_id'] === null ? null : String(rows[0]['reg_id']) };
    } catch (err) {
      await this.release(username, regId).catch(() => false);
      throw new RegistrationUnavailableError(`registration outcome unknown: ${(err as Error).message}`);
    }
    if (owner !== null) throw new UniqueFieldTakenError('username');
    await this.release(username, regId).catch(() => false);
    throw new RegistrationUnavailableError('registration outcome unknown: not written');
  }

  /** The home core created the user: the reservation becomes a registered user. Idempotent. */
  async confirm(username: string, regId: string): Promise<boolean> {
    const [r] = await this.client.execute([['UPDATE users SET pending = 0 WHERE username = ? AND reg_id = ?', username, regId]], { idempotent: true });
    return r?.rows_affected === 1;
  }

  /** Drops a still-pending reservation with its unique fields and count. Idempotent; true if it removed one. */
  async release(username: string, regId: string): Promise<boolean> {
    const pending = 'EXISTS (SELECT 1 FROM users WHERE username = ? AND reg_id = ? AND pending = 1)';
    const results = await this.client.execute(
      [
        [`UPDATE cores SET user_count = user_count - 1 WHERE id = (SELECT core_id FROM users WHERE username = ? AND reg_id = ? AND pending = 1)`, username, regId],
        [`DELETE FROM unique_fields WHERE username = ? AND reg_id = ? AND ${pending}`, username, regId, username, regId],
        ['DELETE FROM users WHERE username = ? AND reg_id = ? AND pending = 1', username, regId],
      ],
      { transaction: true, idempotent: true },
    );
    return results[2]?.rows_affected === 1;
  }

  /** Releases reservations left pending longer than `olderThanMs` (a placing core died mid-way). */
  async sweep(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    const stale = 'SELECT username FROM users WHERE pending = 1 AND created_at < ?';
    const results = await this.client.execute(
      [
        ['UPDATE cores SET user_count = user_count - (SELECT count(*) FROM users u WHERE u.core_id = cores.id AND u.pending = 1 AND u.created_at < ?)', cutoff],
        [`DELETE FROM unique_fields WHERE username IN (${stale}) AND reg_id = (SELECT reg_id FROM users u WHERE u.username = unique_fields.username)`, cutoff],
        ['DELETE FROM users WHERE pending = 1 AND created_at < ?', cutoff],
      ],
      { transaction: true, idempotent: true },
    );
    return results[2]?.rows_affected ?? 0;
  }

  /** A registered user leaves the platform (account deletion). Idempotent. */
  async unregister(username: string): Promise<void> {
    await this.client.execute(
      [
        ['UPDATE cores SET user_count = user_count - 1 WHERE id = (SELECT core_id FROM users WHERE username = ?)', username],
        ['DELETE FROM unique_fields WHERE username = ?', username],
        ['DELETE FROM users WHERE username = ?', username],
        epochBump('users'),
      ],
      { transaction: true, idempotent: true },
    );
  }
}

