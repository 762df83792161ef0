import type { Row } from './response.js';
import type { RqliteClient } from './rqlite-client.js';

export interface CoreRecord {
  id: string;
  url: string;
  hosting: string;
  available: boolean;
  userCount: number;
}

const toCore = (r: Row): CoreRecord => ({
  id: String(r['id']),
  url: String(r['url']),
  hosting: String(r['hosting']),
  available: Number(r['available']) === 1,
  userCount: Number(r['user_count']),
});

/** The cores registry in the platform DB. */
export class CoresRepository {
  constructor(private readonly client: RqliteClient) {}

  /** Registers this core or refreshes its URL/hosting; keeps its user count. Idempotent. */
  async upsert(core: { id: string; url: string; hosting: string; available: boolean }): Promise<void> {
    const now = Date.now();
    await this.client.execute(
      [
        [
          `INSERT INTO cores (id, url, hosting, available, user_count, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, hosting = excluded.hosting, available = excluded.available, updated_at = excluded.updated_at`,
          core.id, core.url, core.hosting, core.available ? 1 : 0, now, now,
        ],
      ],
      { idempotent: true },
    );
  }

  async list(): Promise<CoreRecord[]> {
    const rows = await this.client.queryRows('SELECT id, url, hosting, available, user_count FROM cores ORDER BY id', [], 'linearizable');
    return rows.map(toCore);
  }

  /** One core by id (routing a user to its home core reads just that row). */
  async get(id: string): Promise<CoreRecord | null> {
    const rows = await this.client.queryRows('SELECT id, url, hosting, available, user_count FROM cores WHERE id = ?', [id], 'linearizable');
    return rows[0] === undefined ? null : toCore(rows[0]);
  }
}
