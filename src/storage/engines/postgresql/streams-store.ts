import type { ItemDeletion, Stream } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { StreamChanges, StreamsChangedSince, StreamsStore } from '../../interfaces/streams-store.js';
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

  async changedSince(userId: string, version: number): Promise<StreamsChangedSince | null> {
    // One statement, so the count and the rows are of one snapshot (streams-delta-migration.ts).
    const { rows } = await this.pool.query<{ streams_count: number } & ({ id: null } | StreamRow)>({
      name: 'streams-changed-since',
      text: `SELECT u.streams_count, s.* FROM users u
             LEFT JOIN streams s ON s.user_id = u.id AND s.changed_version > $2
             WHERE u.id = $1`,
      values: [userId, version],
    });
    const first = rows[0];
    if (first === undefined) return null;
    const changed: Stream[] = [];
    for (const r of rows) if (r.id !== null) changed.push(toStream(r));
    return { changed, count: first.streams_count };
  }

  async get(userId: string, id: string): Promise<Stream | null> {
    const { rows } = await this.pool.query<StreamRow>('SELECT * FROM streams WHERE user_id = $1 AND id = $2', [userId, id]);
    return rows[0] === undefined ? null : toStream(rows[0]);
  }

  async create(userId: string, s: Stream): Promise<void> {
    try {
      // One statement, named (hot path, docs/benchmarks.md): a re-created id is no longer a deletion,
      // and a refused insert (a sibling's name) keeps the deletion, in one round trip and one commit.
      await this.pool.query({
        name: 'streams-create',
        text: `WITH revived AS (DELETE FROM stream_deletions WHERE user_id = $1 AND id = $2)
               INSERT INTO streams (user_id, id, parent_id, name, client_data, trashed, created, created_by, modified, modified_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        values: [userId, s.id, s.parentId, s.name, s.clientData === null ? null : JSON.stringify(s.clientData), s.trashed, s.created, s.createdBy, s.modified, s.modifiedBy],
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(err);
      throw err;
    }
  }

  async update(userId: string, id: string, changes: StreamChanges): Promise<Stream | null> {
    const params: unknown[] = [userId, id];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const sets: string[] = [];
    for (const key of ['name', 'parentId', 'trashed', 'modified', 'modifiedBy'] as const) {
      if (changes[key] !== undefined) sets.push(`${COLUMNS[key]} = ${p(changes[key])}`);
    }
    const cd = changes.clientData;
    if (cd === null) sets.push('client_data = NULL');
    else if (cd !== undefined) {
      // Merged in the statement, on the row as it is then: no read-modify-write to lose a key.
      const set = Object.fromEntries(Object.entries(cd).filter(([, v]) => v !== null));
      const remove = Object.keys(cd).filter((k) => cd[k] === null);
      sets.push(`client_data = (COALESCE(client_data, '{}'::jsonb) || ${p(JSON.stringify(set))}::jsonb) - ${p(remove)}::text[]`);
    }
    try {
      const { rows } = await this.pool.query<StreamRow>(`UPDATE streams SET ${sets.join(', ')} WHERE user_id = $1 AND id = $2 RETURNING *`, params);
      return rows[0] === undefined ? null : toStream(rows[0]);
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
