import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { UserDataLines } from '../../interfaces/user-data-store.js';

/**
 * bin/backup's event lines made by PostgreSQL (UserDataStore.exportUserLines, issue #12): one
 * `COPY (SELECT …) TO STDOUT` per table inside the export's snapshot, streamed as it comes, so no
 * row becomes a JavaScript object. CSV with a delimiter and a quote (0x02, 0x01) that valid JSON
 * text never holds raw: a value is quoted only if it holds one of them, a CR or a LF, so each line
 * comes out as the text itself. CR and LF can only be whitespace between JSON tokens (inside a
 * string they are escaped): `translate` turns them into spaces, the same JSON.
 */
const CSV = `(FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
const QUOTE_BYTE = 0x01;

function docText(column: string): string {
  // translate() only where needed: on every doc it tripled PostgreSQL's CPU for the backup (docs/benchmarks.md).
  return `CASE WHEN strpos(${column}, E'\\n') = 0 AND strpos(${column}, E'\\r') = 0 THEN ${column} ELSE translate(${column}, E'\\r\\n', '  ') END`;
}

/** `COPY … TO STDOUT` of `select` (one text column, each value one line) as UserDataLines of `of`. */
async function* copied(client: pg.PoolClient, of: UserDataLines['of'], select: string): AsyncGenerator<UserDataLines> {
  const stream = client.query(copyTo(`COPY (${select}) TO STDOUT ${CSV}`));
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let finished = false;
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      // Never for a JSON text; a quoted value would change the line, so the backup stops instead.
      if (r.value.includes(QUOTE_BYTE)) throw new Error('COPY quoted an event doc (a raw 0x01 or 0x02 byte in it): not valid JSON text');
      yield r.value;
    }
    finished = true;
  }
  try {
    yield { kind: 'lines', of, chunks: chunks() };
    if (!finished) throw new Error('event lines not read to the end');
  } finally {
    if (!finished) {
      // Left part-way (the caller failed): the rest of the COPY is read, or the connection could run
      // nothing else; an error here (the COPY's own) is the one already thrown.
      try {
        while ((await it.next()).done !== true);
      } catch {
        // the COPY failed: pg has ended it
      }
    }
  }
}

/**
 * The user's events (in no order: importers need none, and with no LIMIT an ORDER BY invites a sort
 * per user) and past versions (oldest first, as importers need them), as exportPgUser's records would be written. */
export async function* eventLines(client: pg.PoolClient, userId: string): AsyncGenerator<UserDataLines> {
  const user = client.escapeLiteral(userId);
  yield* copied(client, 'event',
    `SELECT '{"kind":"event","event":' || ${docText('doc')} || '}' FROM events WHERE user_id = ${user}`);
  yield* copied(client, 'event-version',
    `SELECT '{"kind":"event-version","headId":' || to_json(head_id)::text || ',"event":' || ${docText('doc')} || '}'
       FROM event_versions WHERE user_id = ${user} ORDER BY version`);
}
