import type { MfaRecord, MfaStore } from '../../interfaces/mfa-store.js';
import type { Db } from './db.js';

interface Row {
  method: 'totp' | 'sms';
  data: Record<string, string>;
  recovery_code_hashes: string[];
  activated_at: number;
}

export class PgMfaStore implements MfaStore {
  constructor(private readonly pool: Db) {}

  async get(userId: string): Promise<MfaRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT method, data, recovery_code_hashes, activated_at FROM user_mfa WHERE user_id = $1', [userId]);
    const row = rows[0];
    if (row === undefined) return null;
    return { method: row.method, data: row.data, recoveryCodeHashes: row.recovery_code_hashes, activatedAt: row.activated_at };
  }

  async activate(userId: string, record: MfaRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO user_mfa (user_id, method, data, recovery_code_hashes, activated_at, last_totp_step)
         VALUES ($1, $2, $3, $4, $5, NULL)
       ON CONFLICT (user_id) DO UPDATE SET method = excluded.method, data = excluded.data,
         recovery_code_hashes = excluded.recovery_code_hashes, activated_at = excluded.activated_at, last_totp_step = NULL`,
      [userId, record.method, JSON.stringify(record.data), record.recoveryCodeHashes, record.activatedAt],
    );
  }

  async replaceData(userId: string, expected: Record<string, string>, data: Record<string, string>): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE user_mfa SET data = $3 WHERE user_id = $1 AND data = $2::jsonb', [userId, JSON.stringify(expected), JSON.stringify(data)]);
    return rowCount === 1;
  }

  async deactivate(userId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM user_mfa WHERE user_id = $1', [userId]);
    return rowCount === 1;
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    // One statement: of two requests with the same code, the row lock lets exactly one through.
    const { rowCount } = await this.pool.query(
      'UPDATE user_mfa SET last_totp_step = $2 WHERE user_id = $1 AND (last_totp_step IS NULL OR last_totp_step < $2)',
      [userId, step],
    );
    return rowCount === 1;
  }
}
