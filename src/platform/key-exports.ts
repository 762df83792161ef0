import type { RqliteClient } from './rqlite-client.js';

/**
 * Records of `bin/keys export` in the platform DB, which every core of the platform (and every clone
 * of a core) shares: an export made on one server is refused on any other once it was imported, and
 * once it expired. Kept in `request_states` (kind `key-export`, swept after `expires_at` like the
 * other short-lived states), so no platform migration is needed. The record holds no key material.
 */
const KIND = 'key-export';
const keyOf = (exportId: string): string => `key-export:${exportId}`;

export type ExportUse = 'imported' | 'used' | 'expired' | 'unknown';

export class KeyExportsRepository {
  constructor(private readonly client: RqliteClient) {}

  /** A new export, importable once until `expiresAt` (ms). Plain INSERT: an id is never reused. */
  async record(exportId: string, coreId: string, expiresAt: number): Promise<void> {
    await this.client.execute(
      [
        ['DELETE FROM request_states WHERE expires_at < ?', Date.now()],
        ['INSERT INTO request_states (key, kind, state, expires_at) VALUES (?, ?, ?, ?)', keyOf(exportId), KIND, JSON.stringify({ status: 'issued', by: coreId }), expiresAt],
      ],
      { transaction: true },
    );
  }

  /**
   * Marks the export imported by `coreId`, once: one conditional UPDATE (Raft-linearized), so of two
   * imports racing on two servers exactly one gets 'imported'.
   */
  async consume(exportId: string, coreId: string): Promise<ExportUse> {
    const now = Date.now();
    const [r] = await this.client.execute([
      [
        `UPDATE request_states SET state = ? WHERE key = ? AND kind = ? AND json_extract(state, '$.status') = 'issued' AND expires_at >= ?`,
        JSON.stringify({ status: 'imported', by: coreId, at: now }), keyOf(exportId), KIND, now,
      ],
    ]);
    if (r?.rows_affected === 1) return 'imported';
    const rows = await this.client.queryRows('SELECT state, expires_at FROM request_states WHERE key = ? AND kind = ?', [keyOf(exportId), KIND], 'linearizable');
    const row = rows[0];
    if (row === undefined) return 'unknown';
    if (Number(row['expires_at']) < now) return 'expired';
    return 'used';
  }
}
