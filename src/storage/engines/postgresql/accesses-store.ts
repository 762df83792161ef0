import type pg from 'pg';
import type { Access, Permission } from '../../../domain/types.js';
import type { AccessesStore, StoredAccess } from '../../interfaces/accesses-store.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { isUniqueViolation, num, numOrNull } from './rows.js';

interface AccessRow {
  id: string;
  token_hash: string;
  token_sealed: string;
  type: Access['type'];
  name: string;
  device_name: string | null;
  permissions: Permission[];
  expires: number | null;
  last_used: number | null;
  calls: Record<string, number>;
  client_data: Record<string, unknown> | null;
  created: number;
  created_by: string;
  modified: number;
  modified_by: string;
  deleted: number | null;
}

const toAccess = (r: AccessRow): StoredAccess => ({
  id: r.id,
  tokenHash: r.token_hash,
  tokenSealed: r.token_sealed,
  type: r.type,
  name: r.name,
  deviceName: r.device_name,
  permissions: r.permissions,
  expires: numOrNull(r.expires),
  lastUsed: numOrNull(r.last_used),
  calls: r.calls,
  clientData: r.client_data,
  created: num(r.created),
  createdBy: r.created_by,
  modified: num(r.modified),
  modifiedBy: r.modified_by,
  deleted: numOrNull(r.deleted),
});

const COLUMNS: Record<string, string> = {
  name: 'name',
  deviceName: 'device_name',
  permissions: 'permissions',
  expires: 'expires',
  lastUsed: 'last_used',
  clientData: 'client_data',
  modified: 'modified',
  modifiedBy: 'modified_by',
  deleted: 'deleted',
};
const JSON_COLUMNS = new Set(['permissions', 'clientData']);

export class PgAccessesStore implements AccessesStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(userId: string, a: StoredAccess): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO accesses (user_id, id, token_hash, token_sealed, type, name, device_name, permissions, expires,
           last_used, calls, client_data, created, created_by, modified, modified_by, deleted)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        [
          userId, a.id, a.tokenHash, a.tokenSealed, a.type, a.name, a.deviceName, JSON.stringify(a.permissions), a.expires,
          a.lastUsed, JSON.stringify(a.calls), a.clientData === null ? null : JSON.stringify(a.clientData),
          a.created, a.createdBy, a.modified, a.modifiedBy, a.deleted,
        ],
      );
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DuplicateKeyError(err.constraint === 'accesses_token' ? 'token' : err.constraint === 'accesses_pkey' ? 'id' : 'name');
      }
      throw err;
    }
  }

  async findByTokenHash(userId: string, tokenHash: string): Promise<StoredAccess | null> {
    const { rows } = await this.pool.query<AccessRow>('SELECT * FROM accesses WHERE user_id = $1 AND token_hash = $2', [userId, tokenHash]);
    return rows[0] === undefined ? null : toAccess(rows[0]);
  }

  async getById(userId: string, id: string): Promise<StoredAccess | null> {
    const { rows } = await this.pool.query<AccessRow>('SELECT * FROM accesses WHERE user_id = $1 AND id = $2', [userId, id]);
    return rows[0] === undefined ? null : toAccess(rows[0]);
  }

  async list(userId: string, options: { includeDeletions?: boolean } = {}): Promise<StoredAccess[]> {
    const where = options.includeDeletions === true ? '' : ' AND deleted IS NULL';
    const { rows } = await this.pool.query<AccessRow>(`SELECT * FROM accesses WHERE user_id = $1${where} ORDER BY created, id`, [userId]);
    return rows.map(toAccess);
  }

  async findByName(userId: string, type: Access['type'], name: string, deviceName: string | null): Promise<StoredAccess | null> {
    const { rows } = await this.pool.query<AccessRow>(
      `SELECT * FROM accesses WHERE user_id = $1 AND type = $2 AND name = $3 AND coalesce(device_name, '') = coalesce($4, '')
         AND deleted IS NULL`,
      [userId, type, name, deviceName],
    );
    return rows[0] === undefined ? null : toAccess(rows[0]);
  }

  async update(userId: string, id: string, patch: Partial<StoredAccess>): Promise<void> {
    const keys = Object.keys(patch).filter((k) => COLUMNS[k] !== undefined);
    if (keys.length === 0) return;
    const sets = keys.map((k, i) => `${COLUMNS[k]} = $${i + 3}`).join(', ');
    const values = keys.map((k) => {
      const v = (patch as Record<string, unknown>)[k];
      return JSON_COLUMNS.has(k) && v !== null ? JSON.stringify(v) : v;
    });
    try {
      await this.pool.query(`UPDATE accesses SET ${sets} WHERE user_id = $1 AND id = $2`, [userId, id, ...values]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('name');
      throw err;
    }
  }

  async markDeleted(userId: string, ids: string[], deleted: number): Promise<void> {
    await this.pool.query('UPDATE accesses SET deleted = $3 WHERE user_id = $1 AND id = ANY($2) AND deleted IS NULL', [userId, ids, deleted]);
  }

  async recordUsage(userId: string, id: string, lastUsed: number, calls: Record<string, number>): Promise<void> {
    // Adds the counts key by key in SQL so concurrent flushes from several workers never lose calls.
    await this.pool.query(
      `UPDATE accesses SET last_used = greatest(coalesce(last_used, 0), $3),
         calls = calls || (SELECT coalesce(jsonb_object_agg(k, coalesce((calls ->> k)::bigint, 0) + v::bigint), '{}'::jsonb)
                           FROM jsonb_each_text($4::jsonb) AS x(k, v))
       WHERE user_id = $1 AND id = $2`,
      [userId, id, lastUsed, JSON.stringify(calls)],
    );
  }
}
