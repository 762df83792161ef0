import type pg from 'pg';
import type { Event } from '../../../domain/types.js';
import { DuplicateKeyError } from '../../interfaces/errors.js';
import type { UserDataKind, UserDataRecord } from '../../interfaces/user-data-store.js';
import { attachedBytes, endTime, eventDoc } from './events-store.js';
import { eventColumns } from './event-columns.js';
import { isUniqueViolation } from './rows.js';

/** Rows per multi-row INSERT of events, versions and series chunks. */
const BATCH = 1000;

type Batched = Extract<UserDataRecord, { kind: 'event' | 'event-version' | 'series' }>;

/**
 * Writes one user's records in one transaction on `client` (all or nothing). Events, versions and
 * series chunks go in multi-row INSERTs (a JSON array of rows, or unnest of arrays); the rest one statement each. Records
 * arrive in exportUser's order, so every foreign key target is written before what points at it.
 */
export async function importPgUser(client: pg.PoolClient, records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>> {
  const counts: Partial<Record<UserDataKind, number>> = {};
  let userId: string | null = null;
  let batch: Batched[] = [];
  const flush = async (): Promise<void> => {
    if (userId !== null && batch.length > 0) await insertBatch(client, userId, batch);
    batch = [];
  };
  await client.query('BEGIN');
  try {
    for await (const r of records) {
      counts[r.kind] = (counts[r.kind] ?? 0) + 1;
      if (r.kind === 'user') {
        userId = r.user.id;
        await insertUser(client, r);
        continue;
      }
      if (userId === null) throw new Error(`a ${r.kind} record came before the user record`);
      if (r.kind === 'event' || r.kind === 'event-version' || r.kind === 'series') {
        if (batch.length > 0 && (batch[0] as Batched).kind !== r.kind) await flush();
        batch.push(r);
        if (batch.length >= BATCH) await flush();
        continue;
      }
      await flush();
      await insertOne(client, userId, r);
    }
    await flush();
    await client.query('COMMIT');
    return counts;
  } catch (err) {
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

/** `"key":[value],` for a recordset field, nothing when the doc lacks it (insertBatch). */
const wrapped = (key: string, value: string | null): string => (value === null ? '' : `"${key}":[${value}],`);

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

async function insertBatch(client: pg.PoolClient, userId: string, batch: Batched[]): Promise<void> {
  const first = batch[0] as Batched;
  // Events and versions go as one JSON parameter: the stored doc is spliced in as it is (a `json`
  // value keeps its exact text), where text[] parameters had every doc escaped again by pg in
  // JavaScript (most of the import's own CPU time, docs/benchmarks.md#backup-and-restore).
  if (first.kind === 'event') {
    const rows = batch.map((r) => {
      const { event: e, json: text } = r as Extract<Batched, { kind: 'event' }>;
      const j = JSON.stringify;
      const c = eventColumns(userId, e);
      // The doc as the record holds it (`json`: a PostgreSQL backup's stored text), else serialized.
      return `{"i":${j(e.id)},"s":${j(e.streamIds)},"k":${j(c.streamKeys)},${wrapped('c', c.content)}${wrapped('cd', c.clientData)}"t":${j(e.type)},"tm":${j(e.time)},"e":${j(endTime(e))},"tr":${e.trashed === true},"m":${j(e.modified)},"a":${j(attachedBytes(e))},"d":${text ?? eventDoc(e)}}`;
    });
    // The derived columns come with the row (migration 20), computed here: reading them from the doc
    // in SQL (a jsonb parse and two subqueries a row) doubled PostgreSQL's CPU time of a restore.
    // `content` / `client_data` go wrapped in an array: a recordset field holding JSON null reads as
    // SQL NULL, where the doc's `null` is jsonb null.
    await client.query(
      `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc, attached_bytes, stream_keys, content, client_data)
       SELECT $1, r.i, r.s, r.t, r.tm, r.e, r.tr, r.m, r.d::text, r.a, r.k, r.c -> 0, r.cd -> 0
         FROM json_to_recordset($2::json) AS r (i text, s text[], k text[], c jsonb, cd jsonb, t text, tm float8, e float8, tr bool, m float8, d json, a bigint)`,
      [userId, `[${rows.join(',')}]`]);
    return;
  }
  if (first.kind === 'event-version') {
    const rows = batch.map((r) => {
      const v = r as Extract<Batched, { kind: 'event-version' }>;
      return `{"h":${JSON.stringify(v.headId)},"d":${JSON.stringify(v.event as Event)}}`;
    });
    await client.query(
      `INSERT INTO event_versions (user_id, head_id, doc)
       SELECT $1, x.v ->> 'h', (x.v -> 'd')::text FROM json_array_elements($2::json) WITH ORDINALITY AS x (v, n) ORDER BY x.n`,
      [userId, `[${rows.join(',')}]`]);
    return;
  }
  const chunks = batch as Extract<Batched, { kind: 'series' }>[];
  await client.query(
    `INSERT INTO series_chunks (user_id, event_id, t_min, t_max, n, points)
     SELECT $1, u.e, u.a, u.b, u.c, u.p FROM unnest($2::text[], $3::float8[], $4::float8[], $5::int[], $6::text[]) AS u (e, a, b, c, p)`,
    [userId, chunks.map((c) => c.eventId), chunks.map((c) => c.first), chunks.map((c) => c.last), chunks.map((c) => c.count), chunks.map((c) => c.points)]);
}
