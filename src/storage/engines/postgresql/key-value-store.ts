import type { KeyValueStore } from '../../interfaces/key-value-store.js';
import type { Db } from './db.js';

export class PgKeyValueStore implements KeyValueStore {
  constructor(private readonly pool: Db) {}

  async put(key: string, value: unknown, expiresAt: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO key_values (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      [key, JSON.stringify(value), expiresAt],
    );
    // Opportunistic cleanup keeps the table small without a timer.
    await this.pool.query('DELETE FROM key_values WHERE expires_at < $1', [Date.now() / 1000]);
  }

  async add(key: string, value: unknown, expiresAt: number): Promise<boolean> {
    // One statement: of parallel callers, exactly one inserts (or replaces an expired record).
    const { rowCount } = await this.pool.query(
      `INSERT INTO key_values AS kv (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE kv.expires_at < $4`,
      [key, JSON.stringify(value), expiresAt, Date.now() / 1000],
    );
    return rowCount === 1;
  }

  async take(key: string): Promise<unknown | null> {
    const { rows } = await this.pool.query<{ value: unknown }>(
      'DELETE FROM key_values WHERE key = $1 AND expires_at >= $2 RETURNING value',
      [key, Date.now() / 1000],
    );
    return rows[0]?.value ?? null;
  }

  async get(key: string): Promise<unknown | null> {
    const { rows } = await this.pool.query<{ value: unknown }>(
      'SELECT value FROM key_values WHERE key = $1 AND expires_at >= $2',
      [key, Date.now() / 1000],
    );
    return rows[0]?.value ?? null;
  }

  async delete(key: string): Promise<void> {
    await this.pool.query('DELETE FROM key_values WHERE key = $1', [key]);
  }
}
