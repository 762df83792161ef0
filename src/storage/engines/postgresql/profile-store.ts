import type { ProfileStore } from '../../interfaces/profile-store.js';
import type { Db } from './db.js';

export class PgProfileStore implements ProfileStore {
  constructor(private readonly pool: Db) {}

  async get(userId: string, profileId: string): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<{ data: Record<string, unknown> }>(
      'SELECT data FROM profiles WHERE user_id = $1 AND id = $2',
      [userId, profileId],
    );
    return rows[0]?.data ?? {};
  }

  async update(userId: string, profileId: string, changes: Record<string, unknown>): Promise<Record<string, unknown>> {
    const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null));
    const remove = Object.entries(changes).filter(([, v]) => v === null).map(([k]) => k);
    // One statement: merge the set keys, drop the null ones, atomically against concurrent updates.
    const { rows } = await this.pool.query<{ data: Record<string, unknown> }>(
      `INSERT INTO profiles (user_id, id, data) VALUES ($1, $2, $3::jsonb - $4::text[])
       ON CONFLICT (user_id, id) DO UPDATE SET data = (profiles.data || $3::jsonb) - $4::text[]
       RETURNING data`,
      [userId, profileId, JSON.stringify(set), remove],
    );
    return rows[0]?.data ?? {};
  }
}
