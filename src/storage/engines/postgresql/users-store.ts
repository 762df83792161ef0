import type { User } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { UsersStore } from '../../interfaces/users-store.js';
import { isUniqueViolation, num } from './rows.js';
import type { Db } from './db.js';
import { toAccess, type AccessRow } from './accesses-store.js';
import type { StoredAccess } from '../../interfaces/accesses-store.js';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  language: string;
  password_hash: string;
  created: number;
  modified: number;
}

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  email: r.email,
  language: r.language,
  passwordHash: r.password_hash,
  created: num(r.created),
  modified: num(r.modified),
});

const COLUMNS: Record<string, string> = { email: 'email', language: 'language', passwordHash: 'password_hash', modified: 'modified' };

export class PgUsersStore implements UsersStore {
  constructor(private readonly pool: Db) {}

  async create(u: User): Promise<void> {
    try {
      await this.pool.query(
        'INSERT INTO users (id, username, email, language, password_hash, created, modified) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [u.id, u.username, u.email, u.language, u.passwordHash, u.created, u.modified],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(err.constraint === 'users_email' ? 'email' : 'username');
      throw err;
    }
  }

  async getByUsername(username: string): Promise<User | null> {
    // Named: parsed and planned once per pooled connection, not on every call (hot path, docs/benchmarks.md).
    const { rows } = await this.pool.query<UserRow>({ name: 'users-by-username', text: 'SELECT * FROM users WHERE username = $1', values: [username] });
    return rows[0] === undefined ? null : toUser(rows[0]);
  }

  async getWithStreamsVersion(username: string): Promise<{ user: User; streamsVersion: number } | null> {
    // The lookup of every `/{username}/` request (src/api/resolve-user.ts); named, as above.
    const { rows } = await this.pool.query<UserRow & { streams_version: string }>({
      name: 'users-by-username-versioned',
      text: 'SELECT * FROM users WHERE username = $1',
      values: [username],
    });
    const r = rows[0];
    return r === undefined ? null : { user: toUser(r), streamsVersion: Number(r.streams_version) };
  }

  async getCaller(username: string, tokenHashes: readonly string[]): Promise<{ user: User; streamsVersion: number; access: StoredAccess | null; hasWebhooks: boolean } | null> {
    // The one lookup of a `/{username}/` request with a token (src/api/resolve-user.ts): user,
    // streams version, access and whether the user has an active webhook (an index probe, the
    // webhooks_active partial index) in one named statement. to_jsonb keeps every value's JSON form
    // (text, double precision, jsonb), which is what node-postgres gives for these columns.
    const { rows } = await this.pool.query<UserRow & { streams_version: string; caller_access: AccessRow | null; has_webhooks: boolean }>({
      name: 'users-caller',
      text: `SELECT u.*, (SELECT to_jsonb(a) FROM accesses a WHERE a.user_id = u.id AND a.token_hash = ANY($2::text[])
                          ORDER BY array_position($2::text[], a.token_hash) LIMIT 1) AS caller_access,
                     EXISTS (SELECT 1 FROM webhooks w WHERE w.user_id = u.id AND w.state = 'active') AS has_webhooks
               FROM users u WHERE u.username = $1`,
      values: [username, tokenHashes],
    });
    const r = rows[0];
    if (r === undefined) return null;
    return { user: toUser(r), streamsVersion: Number(r.streams_version), access: r.caller_access === null ? null : toAccess(r.caller_access), hasWebhooks: r.has_webhooks };
  }

  async getById(id: string): Promise<User | null> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] === undefined ? null : toUser(rows[0]);
  }

  async update(id: string, patch: Partial<Pick<User, 'email' | 'language' | 'passwordHash' | 'modified'>>): Promise<void> {
    const keys = Object.keys(patch).filter((k) => Object.hasOwn(COLUMNS, k));
    if (keys.length === 0) return;
    const sets = keys.map((k, i) => `${COLUMNS[k]} = $${i + 2}`).join(', ');
    try {
      await this.pool.query(`UPDATE users SET ${sets} WHERE id = $1`, [id, ...keys.map((k) => (patch as Record<string, unknown>)[k])]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('email');
      throw err;
    }
  }

  async list(): Promise<User[]> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users ORDER BY username');
    return rows.map(toUser);
  }

  async deleteCascade(id: string): Promise<void> {
    // Tables referencing users use ON DELETE CASCADE.
    await this.pool.query('DELETE FROM users WHERE id = $1', [id]);
  }

  async storageUsed(id: string): Promise<{ dbDocuments: number; attachedFiles: number }> {
    const { rows } = await this.pool.query<{ docs: string | null; files: string | null }>(
      `SELECT (SELECT coalesce(sum(pg_column_size(a.*)), 0) FROM accesses a WHERE a.user_id = $1)
            + (SELECT coalesce(sum(pg_column_size(p.*)), 0) FROM profiles p WHERE p.user_id = $1)
            + (SELECT coalesce(sum(pg_column_size(s.*)), 0) FROM streams s WHERE s.user_id = $1)
            + (SELECT coalesce(sum(pg_column_size(e.*)), 0) FROM events e WHERE e.user_id = $1) AS docs,
              (SELECT coalesce(sum(e.attached_bytes), 0) FROM events e WHERE e.user_id = $1) AS files`,
      [id],
    );
    return { dbDocuments: Number(rows[0]?.docs ?? 0), attachedFiles: Number(rows[0]?.files ?? 0) };
  }
}
