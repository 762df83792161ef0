import type { ItemDeletion, Stream } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { StreamsStore } from '../../interfaces/streams-store.js';
import { isUniqueViolation, num } from './rows.js';
import { inTransaction, type Db } from './db.js';

interface StreamRow {
  id: string;
  parent_id: string | null;
  name: string;
  client_data: Record<string, unknown> | null;
  trashed: boolean;
  created: number;
  created_by: string;
  modified: number;
  modified_by: string;
}

const toStream = (r: StreamRow): Stream => ({
  id: r.id,
  name: r.name,
  parentId: r.parent_id,
  clientData: r.client_data,
  trashed: r.trashed,
  created: num(r.created),
  createdBy: r.created_by,
  modified: num(r.modified),
  modifiedBy: r.modified_by,
});

const COLUMNS: Record<string, string> = {
  name: 'name',
  parentId: 'parent_id',
  clientData: 'client_data',
  trashed: 'trashed',
  modified: 'modified',
  modifiedBy: 'modified_by',
};

function duplicate(err: { constraint?: string }): DuplicateKeyError {
  return new DuplicateKeyError(err.constraint === 'streams_sibling_name' ? 'name' : 'id');
}

export class PgStreamsStore implements StreamsStore {
  constructor(private readonly pool: Db) {}

  async all(userId: string): Promise<Stream[]> {
    // Named: parsed and planned once per pooled connection, not on every call (hot path, docs/benchmarks.md).
    const { rows } = await this.pool.query<StreamRow>({ name: 'streams-all', text: 'SELECT * FROM streams WHERE user_id = $1', values: [userId] });
    return rows.map(toStream);
  }

  async get(userId: string, id: string): Promise<Stream | null> {
    const { rows } = await this.pool.query<StreamRow>('SELECT * FROM streams WHERE user_id = $1 AND id = $2', [userId, id]);
    return rows[0] === undefined ? null : toStream(rows[0]);
  }

  async create(userId: string, s: Stream): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO streams (user_id, id, parent_id, name, client_data, trashed, created, created_by, modified, modified_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [userId, s.id, s.parentId, s.name, s.clientData === null ? null : JSON.stringify(s.clientData), s.trashed, s.created, s.createdBy, s.modified, s.modifiedBy],
      );
      // A re-created id is no longer a deletion.
      await this.pool.query('DELETE FROM stream_deletions WHERE user_id = $1 AND id = $2', [userId, s.id]);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(err);
      throw err;
    }
  }

  async update(userId: string, id: string, patch: Partial<Stream>): Promise<void> {
    const keys = Object.keys(patch).filter((k) => Object.hasOwn(COLUMNS, k));
    if (keys.length === 0) return;
    const sets = keys.map((k, i) => `${COLUMNS[k]} = $${i + 3}`).join(', ');
    const values = keys.map((k) => {
      const v = (patch as Record<string, unknown>)[k];
      return k === 'clientData' && v !== null ? JSON.stringify(v) : v;
    });
    try {
      await this.pool.query(`UPDATE streams SET ${sets} WHERE user_id = $1 AND id = $2`, [userId, id, ...values]);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(err);
      throw err;
    }
  }

  async delete(userId: string, ids: string[], deleted: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM streams WHERE user_id = $1 AND id = ANY($2)', [userId, ids]);
      await client.query(
        `INSERT INTO stream_deletions (user_id, id, deleted) SELECT $1, unnest($2::text[]), $3
         ON CONFLICT (user_id, id) DO UPDATE SET deleted = excluded.deleted`,
        [userId, ids, deleted],
      );
    });
  }

  async deletionsSince(userId: string, since: number): Promise<ItemDeletion[]> {
    const { rows } = await this.pool.query<{ id: string; deleted: number }>(
      'SELECT id, deleted FROM stream_deletions WHERE user_id = $1 AND deleted > $2 ORDER BY deleted',
      [userId, since],
    );
    return rows.map((r) => ({ id: r.id, deleted: num(r.deleted) }));
  }
}
