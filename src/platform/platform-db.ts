import { PlatformDbConstraintError } from './errors.js';
import type { RqliteClient } from './rqlite-client.js';
import type { Statement } from './response.js';
import { CoresRepository, type CoreRecord } from './cores.js';

export class UniqueFieldTakenError extends Error {
  override name = 'UniqueFieldTakenError';
  constructor(readonly field: string) {
    super(`${field} is already taken`);
  }
}

/**
 * Platform-wide facts shared by every core through rqlite: who lives where, unique fields, cores,
 * invitations, request states. Routing and uniqueness reads are linearizable.
 */
export class PlatformDb {
  readonly cores: CoresRepository;

  constructor(readonly client: RqliteClient) {
    this.cores = new CoresRepository(client);
  }

  /**
   * Reserves the username and every unique field and maps the user to its core, in one transaction
   * of plain INSERTs: a constraint failure names the taken field and nothing is written.
   */
  async registerUser(username: string, coreId: string, uniqueFields: Record<string, string>): Promise<void> {
    const fields = Object.entries(uniqueFields);
    const statements: Statement[] = [
      ['INSERT INTO users (username, core_id, created_at) VALUES (?, ?, ?)', username, coreId, Date.now()],
      ...fields.map(([f, v]): Statement => ['INSERT INTO unique_fields (field, value, username) VALUES (?, ?, ?)', f, v, username]),
      ['UPDATE cores SET user_count = user_count + 1 WHERE id = ?', coreId],
    ];
    try {
      await this.client.execute(statements, { transaction: true });
    } catch (err) {
      if (err instanceof PlatformDbConstraintError) {
        throw new UniqueFieldTakenError(err.statementIndex === 0 ? 'username' : (fields[err.statementIndex - 1]?.[0] ?? 'unknown'));
      }
      throw err;
    }
  }

  async unregisterUser(username: string): Promise<void> {
    await this.client.execute(
      [
        ['UPDATE cores SET user_count = user_count - 1 WHERE id = (SELECT core_id FROM users WHERE username = ?)', username],
        ['DELETE FROM unique_fields WHERE username = ?', username],
        ['DELETE FROM users WHERE username = ?', username],
      ],
      { transaction: true, idempotent: true },
    );
  }

  /** Replaces a unique field's value (e.g. email change); UniqueFieldTakenError when taken. */
  async changeUniqueField(username: string, field: string, value: string): Promise<void> {
    try {
      await this.client.execute(
        [
          ['DELETE FROM unique_fields WHERE username = ? AND field = ?', username, field],
          ['INSERT INTO unique_fields (field, value, username) VALUES (?, ?, ?)', field, value, username],
        ],
        { transaction: true },
      );
    } catch (err) {
      if (err instanceof PlatformDbConstraintError) throw new UniqueFieldTakenError(field);
      throw err;
    }
  }

  async coreOf(username: string): Promise<string | null> {
    const rows = await this.client.queryRows('SELECT core_id FROM users WHERE username = ?', [username], 'linearizable');
    return rows[0] === undefined ? null : String(rows[0]['core_id']);
  }

  async usernameFor(field: string, value: string): Promise<string | null> {
    const rows = await this.client.queryRows('SELECT username FROM unique_fields WHERE field = ? AND value = ?', [field, value], 'linearizable');
    return rows[0] === undefined ? null : String(rows[0]['username']);
  }

  /** Every user mapped to a core, with its unique fields (admin integrity check; one read each). */
  async usersWithFields(): Promise<{ username: string; coreId: string; fields: Record<string, string> }[]> {
    const users = await this.client.queryRows('SELECT username, core_id FROM users ORDER BY username', [], 'linearizable');
    const fields = await this.client.queryRows('SELECT username, field, value FROM unique_fields', [], 'linearizable');
    const byUser = new Map<string, Record<string, string>>();
    for (const f of fields) {
      const u = String(f['username']);
      byUser.set(u, { ...(byUser.get(u) ?? {}), [String(f['field'])]: String(f['value']) });
    }
    return users.map((r) => ({ username: String(r['username']), coreId: String(r['core_id']), fields: byUser.get(String(r['username'])) ?? {} }));
  }

  /** Least-loaded available core of a hosting (ties: smallest id, so placement is deterministic). */
  async pickCore(hosting: string): Promise<CoreRecord | null> {
    const rows = await this.client.queryRows(
      'SELECT id, url, hosting, available, user_count FROM cores WHERE hosting = ? AND available = 1 ORDER BY user_count, id LIMIT 1',
      [hosting],
      'linearizable',
    );
    const r = rows[0];
    return r === undefined
      ? null
      : { id: String(r['id']), url: String(r['url']), hosting: String(r['hosting']), available: true, userCount: Number(r['user_count']) };
  }

  async putRequestState(key: string, kind: string, state: unknown, ttlMs: number): Promise<void> {
    await this.client.execute(
      [
        ['DELETE FROM request_states WHERE expires_at < ?', Date.now()],
        ['INSERT INTO request_states (key, kind, state, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state', key, kind, JSON.stringify(state), Date.now() + ttlMs],
      ],
      { transaction: true },
    );
  }

  async getRequestState(key: string, kind: string): Promise<unknown | null> {
    const rows = await this.client.queryRows(
      'SELECT state FROM request_states WHERE key = ? AND kind = ? AND expires_at >= ?',
      [key, kind, Date.now()],
      'linearizable',
    );
    return rows[0] === undefined ? null : (JSON.parse(String(rows[0]['state'])) as unknown);
  }
}
