import type { Access, Permission } from '../../../domain/types.js';
import type {
  AccessesStore,
  AccessVersion,
  AccessVersionDoc,
  AccessVersionPatch,
  NewStoredAccess,
  StoredAccess,
} from '../../interfaces/accesses-store.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import { isUniqueViolation, num, numOrNull } from './rows.js';
import { inTransaction, type Db } from './db.js';

export interface AccessRow {
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
  serial: number;
  integrity: string | null;
}

/** A row of `accesses` (or its to_jsonb: the same values) as the stores give it. */
export const toAccess = (r: AccessRow): StoredAccess => ({
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
  serial: num(r.serial),
  ...(r.integrity === null || r.integrity === undefined ? {} : { integrity: r.integrity }),
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
  // bin/keys reseal (src/cli/keys/reseal.ts)
  tokenHash: 'token_hash',
  tokenSealed: 'token_sealed',
  integrity: 'integrity',
};
const JSON_COLUMNS = new Set(['permissions', 'clientData']);

/** `col = $n, …` for the known keys of `patch`, numbered from `first`. */
function setClause(patch: object, first: number): { sets: string; values: unknown[] } {
  const keys = Object.entries(patch).filter(([k, v]) => Object.hasOwn(COLUMNS, k) && v !== undefined).map(([k]) => k);
  const sets = keys.map((k, i) => `${COLUMNS[k]} = $${i + first}`).join(', ');
  const values = keys.map((k) => {
    const v = (patch as Record<string, unknown>)[k];
    return JSON_COLUMNS.has(k) && v !== null ? JSON.stringify(v) : v;
  });
  return { sets, values };
}

export class PgAccessesStore implements AccessesStore {
  constructor(private readonly pool: Db) {}

  async create(userId: string, a: NewStoredAccess): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO accesses (user_id, id, token_hash, token_sealed, type, name, device_name, permissions, expires,
           last_used, calls, client_data, created, created_by, modified, modified_by, deleted, integrity)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [
          userId, a.id, a.tokenHash, a.tokenSealed, a.type, a.name, a.deviceName, JSON.stringify(a.permissions), a.expires,
          a.lastUsed, JSON.stringify(a.calls), a.clientData === null ? null : JSON.stringify(a.clientData),
          a.created, a.createdBy, a.modified, a.modifiedBy, a.deleted, a.integrity ?? null,
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
    const { sets, values } = setClause(patch, 3);
    if (sets === '') return;
    try {
      await this.pool.query(`UPDATE accesses SET ${sets} WHERE user_id = $1 AND id = $2`, [userId, id, ...values]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError('name');
      throw err;
    }
  }

  async updateVersioned(
    userId: string,
    id: string,
    expectedSerial: number,
    patch: AccessVersionPatch,
    previous: { doc: AccessVersionDoc; replaced: number },
  ): Promise<StoredAccess | null> {
    const { sets, values } = setClause(patch, 4);
    try {
      return await inTransaction(this.pool, async (client) => {
        // The WHERE on serial is the compare-and-set: a concurrent update from the same version waits
        // on the row lock, then re-checks the WHERE against the committed row and matches nothing.
        const { rows } = await client.query<AccessRow>(
          `UPDATE accesses SET ${sets}, serial = serial + 1
           WHERE user_id = $1 AND id = $2 AND serial = $3 AND deleted IS NULL RETURNING *`,
          [userId, id, expectedSerial, ...values],
        );
        const row = rows[0];
        if (row === undefined) return null;
        await client.query('INSERT INTO access_history (user_id, id, serial, doc, replaced) VALUES ($1, $2, $3, $4, $5)', [
          userId, id, expectedSerial, JSON.stringify(previous.doc), previous.replaced,
        ]);
        return toAccess(row);
      });
    } catch (err) {
      if (isUniqueViolation(err) && err.constraint === 'accesses_name') throw new DuplicateKeyError('name');
      throw err;
    }
  }

  async history(userId: string, id: string): Promise<AccessVersion[]> {
    const { rows } = await this.pool.query<{ serial: number; doc: AccessVersionDoc; replaced: number }>(
      'SELECT serial, doc, replaced FROM access_history WHERE user_id = $1 AND id = $2 ORDER BY serial DESC',
      [userId, id],
    );
    return rows.map((r) => ({ serial: num(r.serial), doc: r.doc, replaced: num(r.replaced) }));
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
