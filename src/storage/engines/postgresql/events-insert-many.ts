import type { Event } from '../../../domain/types.js';
import { eventColumns } from './event-columns.js';
import { type Db, inTransaction } from './db.js';
import { forgetVersions } from './event-versions.js';

/**
 * Many new events of one user in one statement (issue #10: a batch call's events.create written
 * together, src/api/events/events-create-group.ts): one round trip, one commit, one plan for the
 * whole array instead of one INSERT and one COMMIT per event. Each column goes as one array
 * parameter and `unnest` turns them back into rows. `stream_ids` and `stream_keys` are arrays per
 * row, which a single array parameter cannot hold (PostgreSQL arrays are rectangular): each row's
 * is sent as its array literal (text) and cast back. As the single insert does, a re-created id's
 * deletion record goes in the same statement, and its past versions (deletion modes that keep some)
 * right after, in the same transaction.
 *
 * All or nothing: a taken id (or any other rejected row) fails the whole statement, nothing is
 * written, and the caller learns it from the error (the unique violation names no id).
 */
const INSERT_MANY = `WITH r AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::boolean[], $8::float8[],
      $9::text[], $10::bigint[], $11::text[], $12::jsonb[], $13::jsonb[])
      AS r(id, stream_ids, type, time, end_time, trashed, modified, doc, attached_bytes, stream_keys, content, client_data)
  ), revived AS (DELETE FROM event_deletions WHERE user_id = $1 AND id = ANY($2::text[]))
  INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc, attached_bytes, stream_keys, content, client_data)
  SELECT $1, id, stream_ids::text[], type, time, end_time, trashed, modified, doc, attached_bytes, stream_keys::text[], content, client_data FROM r`;

/** The columns of one row that the single insert computes per event (events-store.ts). */
export interface EventRow {
  event: Event;
  endTime: number | null;
  doc: string;
  attachedBytes: number | null;
}

const ARRAY_SPECIAL = /["\\]/g;

/** A text[] literal with every element quoted, so commas, braces and `NULL` stay text. */
function arrayLiteral(items: readonly string[]): string {
  let literal = '{';
  for (let i = 0; i < items.length; i += 1) {
    if (i > 0) literal += ',';
    literal += `"${(items[i] as string).replace(ARRAY_SPECIAL, '\\$&')}"`;
  }
  return `${literal}}`;
}

export async function insertEventRows(pool: Db, userId: string, rows: readonly EventRow[], forgetPastVersions: boolean): Promise<void> {
  const n = rows.length;
  const cols = {
    id: new Array<string>(n), streamIds: new Array<string>(n), type: new Array<string>(n), time: new Array<number>(n),
    endTime: new Array<number | null>(n), trashed: new Array<boolean>(n), modified: new Array<number>(n), doc: new Array<string>(n),
    attachedBytes: new Array<number | null>(n), streamKeys: new Array<string>(n), content: new Array<string | null>(n), clientData: new Array<string | null>(n),
  };
  for (let i = 0; i < n; i += 1) {
    const { event: e, endTime, doc, attachedBytes } = rows[i] as EventRow;
    const c = eventColumns(userId, e);
    cols.id[i] = e.id;
    cols.streamIds[i] = arrayLiteral(e.streamIds);
    cols.type[i] = e.type;
    cols.time[i] = e.time;
    cols.endTime[i] = endTime;
    cols.trashed[i] = e.trashed;
    cols.modified[i] = e.modified;
    cols.doc[i] = doc;
    cols.attachedBytes[i] = attachedBytes;
    cols.streamKeys[i] = arrayLiteral(c.streamKeys);
    cols.content[i] = c.content;
    cols.clientData[i] = c.clientData;
  }
  const values = [userId, cols.id, cols.streamIds, cols.type, cols.time, cols.endTime, cols.trashed, cols.modified, cols.doc, cols.attachedBytes, cols.streamKeys, cols.content, cols.clientData];
  // Named: one parse and plan per pooled connection, whatever the number of rows.
  const insert = { name: 'events-create-many', text: INSERT_MANY, values };
  if (!forgetPastVersions) {
    await pool.query(insert);
    return;
  }
  await inTransaction(pool, async (db) => {
    await db.query(insert);
    await forgetVersions(db, userId, cols.id);
  });
}
