import { PlatformDbConstraintError } from './errors.js';
import type { RqliteClient } from './rqlite-client.js';
import { CoresRepository, type CoreRecord } from './cores.js';
import { PlatformCache, type PlatformCacheOptions } from './platform-cache.js';
import { RegistrationsRepository, UniqueFieldTakenError } from './registrations.js';

export { UniqueFieldTakenError } from './registrations.js';

/** A user's home core, as routing and discovery need it. */
export interface HomeCore {
  coreId: string;
  url: string;
  ip: string | null;
  available: boolean;
}

const DEFAULT_CACHE: PlatformCacheOptions = { pollMs: 1000, ttlMs: 5000, maxEntries: 50_000 };

/**
 * Platform-wide facts shared by every core through rqlite: who lives where, unique fields, cores,
 * invitations, request states. Routing and uniqueness reads are linearizable.
 */
export class PlatformDb {
  readonly cores: CoresRepository;
  readonly registrations: RegistrationsRepository;
  private readonly homes: PlatformCache<HomeCore>;
  private readonly coreLists: PlatformCache<CoreRecord[]>;

  constructor(
    readonly client: RqliteClient,
    cache: Partial<PlatformCacheOptions> = {},
  ) {
    this.cores = new CoresRepository(client);
    this.registrations = new RegistrationsRepository(client);
    const options = { ...DEFAULT_CACHE, ...cache };
    this.homes = new PlatformCache(client, options);
    this.coreLists = new PlatformCache(client, options);
  }

  /** Stops the cache-epoch polling. */
  close(): void {
    this.homes.close();
    this.coreLists.close();
  }

  /**
   * Maps a user to a given core at once (admin tools, tests): reserve + confirm in one go. A
   * constraint failure names the taken field and nothing is written.
   */
  async registerUser(username: string, coreId: string, uniqueFields: Record<string, string>): Promise<void> {
    const regId = `direct-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    await this.registrations.reserve(username, regId, { coreId }, uniqueFields);
    await this.registrations.confirm(username, regId);
  }

  async unregisterUser(username: string): Promise<void> {
    await this.registrations.unregister(username);
    // Other processes follow through the cache epoch; this one at once.
    this.homes.flush();
  }

  /**
   * username → home core → URL in one rqlite round trip, cached per process (invalidated through the
   * cache epochs within ~pollMs). Only registered users: a pending reservation is not a home yet.
   */
  async homeCoreOf(username: string): Promise<HomeCore | null> {
    return this.homes.get(username, async () => {
      const rows = await this.client.queryRows(
        'SELECT c.id, c.url, c.ip, c.available FROM users u JOIN cores c ON c.id = u.core_id WHERE u.username = ? AND u.pending = 0',
        [username],
        'linearizable',
      );
      const r = rows[0];
      if (r === undefined) return null;
      return { coreId: String(r['id']), url: String(r['url']), ip: r['ip'] === null ? null : String(r['ip']), available: Number(r['available']) === 1 };
    });
  }

  /** Every core, cached like homeCoreOf (DNS answers, hostings). */
  async cachedCores(): Promise<CoreRecord[]> {
    return (await this.coreLists.get('all', () => this.cores.list())) ?? [];
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

  /** Home core id of a username, pending reservations included (uncached, linearizable). */
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
