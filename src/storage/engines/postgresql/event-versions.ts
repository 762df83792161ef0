import type { Event } from '../../../domain/types.js';
import type { EventDeletion, EventsStorePolicy } from '../../interfaces/events-store.js';
import { num } from './rows.js';
import type { Db } from './db.js';

/**
 * The versioning half of PgEventsStore (migration 12, event-history-migration.ts): past versions on
 * update, and what a deletion keeps per `deletionMode` (the reference's DELETION_MODES_FIELDS).
 */

/** keep-authors: what a past version and a deletion keep, besides the id. */
const authorsOnly = (doc: string): string => `jsonb_build_object('id', (${doc})::jsonb -> 'id', 'modified', (${doc})::jsonb -> 'modified', 'modifiedBy', (${doc})::jsonb -> 'modifiedBy')::text`;

/** Stores `doc` (the event JSON before a change) as its newest past version. */
export async function keepVersion(db: Db, userId: string, id: string, doc: string): Promise<void> {
  await db.query({
    name: 'event-versions-keep',
    text: 'INSERT INTO event_versions (user_id, head_id, doc) VALUES ($1, $2, $3)',
    values: [userId, id, doc],
  });
}

export async function versionsOf(db: Db, userId: string, id: string): Promise<Event[]> {
  const { rows } = await db.query<{ doc: string }>(
    'SELECT doc FROM event_versions WHERE user_id = $1 AND head_id = $2 ORDER BY version',
    [userId, id],
  );
  // Under the event's own id whatever the row holds (the reference's cleanHistoryResult).
  return rows.map((r) => ({ ...(JSON.parse(r.doc) as Event), id }));
}

/** A re-created id starts with no history (events.create after a deletion). */
export async function forgetVersions(db: Db, userId: string, ids: string[]): Promise<void> {
  await db.query('DELETE FROM event_versions WHERE user_id = $1 AND head_id = ANY($2)', [userId, ids]);
}

/**
 * Deletes the events for good (inside the caller's transaction): past versions are erased or reduced
 * per the mode, the last state is kept as a version when history is on, and the deletion record keeps
 * what the mode says.
 */
export async function deleteWithPolicy(db: Db, userId: string, ids: string[], deleted: number, policy: EventsStorePolicy): Promise<void> {
  const mode = policy.deletionMode;
  if (mode === 'keep-nothing') await forgetVersions(db, userId, ids);
  if (mode === 'keep-authors') {
    await db.query(`UPDATE event_versions SET doc = ${authorsOnly('doc')} WHERE user_id = $1 AND head_id = ANY($2)`, [userId, ids]);
  }
  const versionDoc = mode === 'keep-authors' ? authorsOnly('doc') : 'doc';
  const keep = policy.keepHistory && mode !== 'keep-nothing'
    ? `, kept AS (INSERT INTO event_versions (user_id, head_id, doc) SELECT $1, id, ${versionDoc} FROM gone)`
    : '';
  const deletionDoc = mode === 'keep-nothing' ? 'NULL' : mode === 'keep-authors' ? authorsOnly('doc') : 'doc';
  // One statement: the rows and their deletion records change together.
  await db.query(
    `WITH gone AS (DELETE FROM events WHERE user_id = $1 AND id = ANY($2) RETURNING id, doc)${keep}
     INSERT INTO event_deletions (user_id, id, deleted, doc) SELECT $1, id, $3, ${deletionDoc} FROM gone
     ON CONFLICT (user_id, id) DO UPDATE SET deleted = excluded.deleted, doc = excluded.doc`,
    [userId, ids, deleted],
  );
}

/** A deletion record as events.get lists it: `{id, …kept fields, deleted}`. */
export function toDeletion(row: { id: string; deleted: number; doc: string | null }): EventDeletion {
  const deleted = num(row.deleted);
  if (row.doc === null) return { id: row.id, deleted };
  return { ...(JSON.parse(row.doc) as Omit<EventDeletion, 'deleted'>), id: row.id, deleted };
}
