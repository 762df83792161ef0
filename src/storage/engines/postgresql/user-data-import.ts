import type pg from 'pg';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { Event } from '../../../domain/types.js';
import type { ImportResult, UserDataKind, UserDataLines, UserDataRecord } from '../../interfaces/user-data-store.js';
import { attachedBytes, endTime, eventDoc } from './events-store.js';
import { jsonb } from './event-columns.js';
import { isUniqueViolation } from './rows.js';
import { copyArray, copyNumber, copyText, CopyRows } from './copy-rows.js';
import { digestAlgorithm, DigestSums } from './import-digest.js';

type Batched = Extract<UserDataRecord, { kind: 'event' | 'event-version' | 'series' }>;

/** The COPY of each bulk kind (copy-rows.ts); columns in the order `copyLine` writes them. */
const COPY_SQL: Readonly<Record<Batched['kind'], string>> = {
  'event': `COPY events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc, attached_bytes, stream_keys, content, client_data) FROM STDIN`,
  'event-version': 'COPY event_versions (user_id, head_id, doc) FROM STDIN',
  'series': 'COPY series_chunks (user_id, event_id, t_min, t_max, n, points) FROM STDIN',
};

/** How bin/backup writes an event line from its stored doc (user-data-lines.ts): the doc is the rest but the last `}`. */
const EVENT_LINE = Buffer.from('{"kind":"event","event":');
const NEWLINE = 0x0a;
const CLOSE = 0x7d;
/** What COPY text gives a meaning to (copy-rows.ts copyText). */
const NEEDS_ESCAPE = /[\\\t\n\r]/;

export interface ImportOptions {
  /** COMMIT without waiting for the WAL flush (a bulk import's, made durable later: PgUserDataStore). */
  asyncCommit: boolean;
}

/**
 * Writes one user's records in one transaction on `client` (all or nothing). Events, versions and
 * series chunks go through COPY (one per run of records of that kind); the rest one statement each.
 * Records arrive in exportUser's order, so every foreign key target is written before what points at it.
 * Events may come as ready-made lines (UserDataLines, bin/restore of a PostgreSQL backup): each doc
 * is stored as its bytes stand, parsed only for its columns. Answers what it wrote (ImportResult).
 * ImportOptions: how a bulk import differs.
 */
export async function importPgUser(client: pg.PoolClient, records: AsyncIterable<UserDataRecord | UserDataLines>, o: ImportOptions): Promise<ImportResult> {
  const counts: Partial<Record<UserDataKind, number>> = {};
  let userId: string | null = null;
  let copy: { kind: Batched['kind']; rows: CopyRows } | null = null;
  const endCopy = async (): Promise<void> => {
    const open = copy;
    copy = null;
    if (open !== null) await open.rows.end();
  };
  const digest = new DigestSums(await digestAlgorithm(client));
  // asyncCommit: a bulk import's, made durable by BulkImport.durable before anything depends on it.
  await client.query(o.asyncCommit ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
  try {
    for await (const r of records) {
      if (r.kind === 'lines') {
        if (r.of !== 'event') throw new Error(`ready-made ${r.of} lines cannot be imported`);
        if (userId === null) throw new Error('event lines came before the user record');
        if (copy !== null && copy.kind !== 'event') await endCopy();
        copy ??= { kind: 'event', rows: CopyRows.open(client, COPY_SQL.event) };
        for await (const chunk of r.chunks) counts.event = (counts.event ?? 0) + (await copyEventLines(copy.rows, userId, chunk, digest));
        continue;
      }
      counts[r.kind] = (counts[r.kind] ?? 0) + 1;
      if (r.kind === 'user') {
        await endCopy();
        userId = r.user.id;
        await insertUser(client, r);
        continue;
      }
      if (userId === null) throw new Error(`a ${r.kind} record came before the user record`);
      if (r.kind === 'event' || r.kind === 'event-version' || r.kind === 'series') {
        if (copy !== null && copy.kind !== r.kind) await endCopy();
        copy ??= { kind: r.kind, rows: CopyRows.open(client, COPY_SQL[r.kind]) };
        const flushed = copy.rows.write(copyLine(userId, copyText(userId), r, digest));
        if (flushed !== null) await flushed;
        continue;
      }
      await endCopy();
      await insertOne(client, userId, r);
    }
    await endCopy();
    await client.query('COMMIT');
    return { counts, digest: digest.result() };
  } catch (err) {
    (copy as { rows: CopyRows } | null)?.rows.abort(err instanceof Error ? err : new Error(String(err)));
    await client.query('ROLLBACK').catch(() => undefined);
    if (isUniqueViolation(err)) throw new DuplicateKeyError(err.constraint === 'users_email' ? 'email' : err.constraint === 'users_username_key' ? 'username' : 'id');
    throw err;
  }
}

async function insertUser(client: pg.PoolClient, r: Extract<UserDataRecord, { kind: 'user' }>): Promise<void> {
  const u = r.user;
  await client.query(
    'INSERT INTO users (id, username, email, language, password_hash, created, modified) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [u.id, u.username, u.email, u.language, u.passwordHash, u.created, u.modified]);
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

async function insertOne(client: pg.PoolClient, userId: string, r: Exclude<UserDataRecord, Batched | { kind: 'user' }>): Promise<void> {
  switch (r.kind) {
    case 'profile':
      await client.query('INSERT INTO profiles (user_id, id, data) VALUES ($1, $2, $3)', [userId, r.profileId, JSON.stringify(r.data)]);
      return;
    case 'access': {
      const a = r.access;
      await client.query(
        `INSERT INTO accesses (user_id, id, token_hash, token_sealed, type, name, device_name, permissions, expires, last_used,
           calls, client_data, created, created_by, modified, modified_by, deleted, serial)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [userId, a.id, a.tokenHash, a.tokenSealed, a.type, a.name, a.deviceName, JSON.stringify(a.permissions), a.expires ?? null,
          a.lastUsed ?? null, JSON.stringify(a.calls ?? {}), json(a.clientData), a.created, a.createdBy, a.modified, a.modifiedBy,
          a.deleted ?? null, a.serial]);
      return;
    }
    case 'access-version':
      await client.query('INSERT INTO access_history (user_id, id, serial, doc, replaced) VALUES ($1, $2, $3, $4, $5)',
        [userId, r.accessId, r.version.serial, JSON.stringify(r.version.doc), r.version.replaced]);
      return;
    case 'stream': {
      const s = r.stream;
      await client.query(
        `INSERT INTO streams (user_id, id, parent_id, name, client_data, trashed, created, created_by, modified, modified_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [userId, s.id, s.parentId, s.name, json(s.clientData), s.trashed, s.created, s.createdBy, s.modified, s.modifiedBy]);
      return;
    }
    case 'stream-deletion':
      await client.query('INSERT INTO stream_deletions (user_id, id, deleted) VALUES ($1, $2, $3)', [userId, r.deletion.id, r.deletion.deleted]);
      return;
    case 'event-deletion': {
      const { id, deleted, ...kept } = r.deletion;
      await client.query('INSERT INTO event_deletions (user_id, id, deleted, doc) VALUES ($1, $2, $3, $4)',
        [userId, id, deleted, Object.keys(kept).length === 0 ? null : JSON.stringify({ id, ...kept })]);
      return;
    }
    case 'webhook': {
      const w = r.webhook;
      await client.query(
        `INSERT INTO webhooks (user_id, id, access_id, url, secret_sealed, state, scopes, run_count, fail_count, current_retries,
           max_retries, min_interval_ms, runs, last_run, created, created_by, modified, modified_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [userId, w.id, w.accessId, w.url, w.secretSealed, w.state, json(w.scopes), w.runCount, w.failCount, w.currentRetries,
          w.maxRetries, w.minIntervalMs, JSON.stringify(w.runs), JSON.stringify(w.lastRun), w.created, w.createdBy, w.modified, w.modifiedBy]);
      return;
    }
    case 'mfa':
      await client.query(
        `INSERT INTO user_mfa (user_id, method, data, recovery_code_hashes, activated_at, last_totp_step) VALUES ($1, $2, $3, $4, $5, $6)`,
        [userId, r.record.method, JSON.stringify(r.record.data), r.record.recoveryCodeHashes, r.record.activatedAt, r.lastTotpStep]);
      return;
    case 'email-verification':
      await client.query('INSERT INTO email_verifications (user_id, email, verified_at) VALUES ($1, $2, $3)', [userId, r.email, r.verifiedAt]);
      return;
  }
}

/**
 * One COPY line of a bulk record (`user`: `userId` escaped). The derived columns of events come with
 * the row (migration 20), computed here: reading them from the doc in SQL (a jsonb parse and two
 * subqueries a row) doubled PostgreSQL's CPU time of a restore. The doc goes as the record holds it
 * (`json`: a PostgreSQL backup's stored text), else serialized.
 */
function copyLine(userId: string, user: string, r: Batched, digest: DigestSums): string {
  if (r.kind === 'event') {
    const doc = r.json ?? eventDoc(r.event);
    digest.add('event', doc);
    return eventLine(userId, user, r.event, doc);
  }
  if (r.kind === 'event-version') {
    const doc = JSON.stringify(r.event);
    digest.add('event-version', doc);
    return `${user}\t${copyText(r.headId)}\t${copyText(doc)}\n`;
  }
  digest.add('series', r.points);
  return `${user}\t${copyText(r.eventId)}\t${copyNumber(r.first)}\t${copyNumber(r.last)}\t${copyNumber(r.count)}\t${copyText(r.points)}\n`;
}

function eventLine(userId: string, user: string, e: Event, doc: string): string {
  return `${eventHead(user, e)}${copyText(doc)}${eventTail(userId, e)}`;
}

/** The columns before the doc (`copyLine` order), then those after it. */
function eventHead(user: string, e: Event): string {
  return `${user}\t${copyText(e.id)}\t${copyArray(e.streamIds)}\t${copyText(e.type)}\t${copyNumber(e.time)}\t${copyNumber(endTime(e))}\t${e.trashed === true ? 't' : 'f'}\t${copyNumber(e.modified)}\t`;
}

function eventTail(userId: string, e: Event): string {
  // The columns of eventColumns; stream_keys (`<user id> <stream id>`) without an array of them first.
  return `\t${copyNumber(attachedBytes(e))}\t${copyArray(e.streamIds, `${userId} `)}\t${copyText(jsonb(e.content))}\t${copyText(jsonb(e.clientData))}\n`;
}

/**
 * The event lines of `chunk` (complete lines as bin/backup writes them) into the COPY: each doc
 * decoded once, parsed for its columns and stored as it stands; digested from its bytes. Answers how many.
 */
async function copyEventLines(rows: CopyRows, userId: string, chunk: Buffer, digest: DigestSums): Promise<number> {
  const user = copyText(userId);
  let n = 0;
  for (let start = 0; start < chunk.length; n += 1) {
    const end = chunk.indexOf(NEWLINE, start);
    const docStart = start + EVENT_LINE.length;
    if (end < docStart || chunk.compare(EVENT_LINE, 0, EVENT_LINE.length, start, docStart) !== 0 || chunk[end - 1] !== CLOSE) {
      throw new Error('not a complete event line');
    }
    const doc = chunk.toString('utf8', docStart, end - 1);
    digest.add('event', chunk.subarray(docStart, end - 1));
    const e = JSON.parse(doc) as Event;
    // A doc with nothing to escape (the usual case) goes as its bytes; the others as escaped text.
    const flushed = NEEDS_ESCAPE.test(doc) ? rows.write(eventLine(userId, user, e, doc)) : rows.writeParts(eventHead(user, e), chunk, docStart, end - 1, eventTail(userId, e));
    if (flushed !== null) await flushed;
    start = end + 1;
  }
  return n;
}
