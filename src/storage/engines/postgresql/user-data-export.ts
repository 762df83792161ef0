import type pg from 'pg';
import type { Event, Stream } from '../../../domain/types.js';
import type { EventDeletion } from '../../interfaces/events-store.js';
import type { UserDataRecord } from '../../interfaces/user-data-store.js';
import { PgAccessesStore } from './accesses-store.js';
import { PgMfaStore } from './mfa-store.js';
import { num, numOrNull } from './rows.js';
import { PgStreamsStore } from './streams-store.js';
import { toUser, type UserRow } from './users-store.js';
import { PgWebhooksStore } from './webhooks-store.js';

/** Rows per round trip for the big tables (events, versions, series chunks). */
const PAGE = 2000;

/**
 * The user's data as of one moment: every read runs in one REPEATABLE READ READ ONLY transaction on
 * `client` (one snapshot), so concurrent writes are neither blocked nor half seen. The existing
 * stores are reused on that client where they read everything already.
 */
export async function* exportPgUser<T = UserDataRecord>(
  client: pg.PoolClient, userId: string, events: EventsPart<T> = eventRecords as EventsPart<T>,
): AsyncGenerator<UserDataRecord | T> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const { rows: users } = await client.query<UserRow>('SELECT * FROM users WHERE id = $1', [userId]);
    const userRow = users[0];
    if (userRow === undefined) return;
    yield { kind: 'user', user: toUser(userRow) };
    const { rows: profiles } = await client.query<{ id: string; data: Record<string, unknown> }>(
      'SELECT id, data FROM profiles WHERE user_id = $1 ORDER BY id', [userId]);
    for (const p of profiles) yield { kind: 'profile', profileId: p.id, data: p.data };
    const accesses = new PgAccessesStore(client);
    const all = await accesses.list(userId, { includeDeletions: true });
    for (const access of all) yield { kind: 'access', access };
    for (const access of all) {
      // history() answers newest first: written oldest first, as versions were kept.
      const versions = await accesses.history(userId, access.id);
      for (const version of versions.reverse()) yield { kind: 'access-version', accessId: access.id, version };
    }
    yield* streamsOf(new PgStreamsStore(client), userId);
    yield* events(client, userId);
    const { rows: deletions } = await client.query<{ id: string; deleted: number; doc: string | null }>(
      'SELECT id, deleted, doc FROM event_deletions WHERE user_id = $1 ORDER BY deleted, id', [userId]);
    for (const d of deletions) {
      const kept = d.doc === null ? {} : (JSON.parse(d.doc) as Partial<EventDeletion>);
      yield { kind: 'event-deletion', deletion: { ...kept, id: d.id, deleted: num(d.deleted) } };
    }
    yield* seriesOf(client, userId);
    for (const webhook of await new PgWebhooksStore(client).list(userId)) yield { kind: 'webhook', webhook };
    const mfa = await new PgMfaStore(client).get(userId);
    if (mfa !== null) {
      const { rows } = await client.query<{ s: string | null }>('SELECT last_totp_step AS s FROM user_mfa WHERE user_id = $1', [userId]);
      yield { kind: 'mfa', record: mfa, lastTotpStep: numOrNull(rows[0]?.s ?? null) };
    }
    const { rows: verified } = await client.query<{ email: string; verified_at: number }>(
      'SELECT email, verified_at FROM email_verifications WHERE user_id = $1', [userId]);
    for (const v of verified) yield { kind: 'email-verification', email: v.email, verifiedAt: num(v.verified_at) };
  } finally {
    // Read-only: ending it cannot lose anything; a failure here must not hide the first error.
    await client.query('COMMIT').catch(() => undefined);
  }
}

/** The user's events then their past versions, within the snapshot: records, or lines (user-data-lines.ts). */
export type EventsPart<T> = (client: pg.PoolClient, userId: string) => AsyncGenerator<T>;

async function* eventRecords(client: pg.PoolClient, userId: string): AsyncGenerator<UserDataRecord> {
  for await (const doc of paged(client, 'SELECT id AS k, doc FROM events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3', userId)) {
    yield eventRecord(doc);
  }
  yield* versionsOf(client, userId);
}

/** An event record carrying its stored doc: `event` is parsed only when read (bin/backup copies `json`). */
function eventRecord(doc: string): UserDataRecord {
  let parsed: Event | undefined;
  return {
    kind: 'event',
    json: doc,
    get event(): Event {
      parsed ??= JSON.parse(doc) as Event;
      return parsed;
    },
  };
}

async function* streamsOf(streams: PgStreamsStore, userId: string): AsyncGenerator<UserDataRecord> {
  // Parents before children, so an importer can write them in order (sibling names are unique).
  const all = await streams.all(userId);
  const byParent = new Map<string | null, Stream[]>();
  for (const s of all) byParent.set(s.parentId, [...(byParent.get(s.parentId) ?? []), s]);
  const known = new Set(all.map((s) => s.id));
  const queue = all.filter((s) => s.parentId === null || !known.has(s.parentId));
  for (let i = 0; i < queue.length; i += 1) {
    const s = queue[i] as Stream;
    queue.push(...(byParent.get(s.id) ?? []));
  }
  for (const stream of queue) yield { kind: 'stream', stream };
  for (const deletion of await streams.deletionsSince(userId, 0)) yield { kind: 'stream-deletion', deletion };
}

/** Keyset pages of `doc` over a text key `k` (the query takes $1 user, $2 last key, $3 limit). */
async function* paged(client: pg.PoolClient, text: string, userId: string): AsyncGenerator<string> {
  let last = '';
  for (;;) {
    const { rows } = await client.query<{ k: string; doc: string }>(text, [userId, last, PAGE]);
    for (const r of rows) yield r.doc;
    const end = rows[rows.length - 1];
    if (end === undefined || rows.length < PAGE) return;
    last = end.k;
  }
}

async function* versionsOf(client: pg.PoolClient, userId: string): AsyncGenerator<UserDataRecord> {
  let last = '0';
  for (;;) {
    const { rows } = await client.query<{ head_id: string; version: string; doc: string }>(
      'SELECT head_id, version, doc FROM event_versions WHERE user_id = $1 AND version > $2 ORDER BY version LIMIT $3',
      [userId, last, PAGE]);
    for (const r of rows) yield { kind: 'event-version', headId: r.head_id, event: JSON.parse(r.doc) as Event };
    const end = rows[rows.length - 1];
    if (end === undefined || rows.length < PAGE) return;
    last = end.version;
  }
}

async function* seriesOf(client: pg.PoolClient, userId: string): AsyncGenerator<UserDataRecord> {
  let after: [string, number] = ['', -Infinity];
  for (;;) {
    const { rows } = await client.query<{ event_id: string; t_min: number; t_max: number; n: number; points: string }>(
      `SELECT event_id, t_min, t_max, n, points FROM series_chunks
        WHERE user_id = $1 AND (event_id, t_min) > ($2, $3) ORDER BY event_id, t_min LIMIT $4`,
      [userId, after[0], after[1], PAGE / 4]);
    for (const r of rows) {
      yield { kind: 'series', eventId: r.event_id, first: num(r.t_min), last: num(r.t_max), count: num(r.n), points: r.points };
    }
    const end = rows[rows.length - 1];
    if (end === undefined || rows.length < PAGE / 4) return;
    after = [end.event_id, num(end.t_min)];
  }
}
