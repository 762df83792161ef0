import type { Event, ItemDeletion, Stream, User } from '../../domain/types.js';
import type { AccessVersion, StoredAccess } from './accesses-store.js';
import type { EventDeletion } from './events-store.js';
import type { MfaRecord } from './mfa-store.js';
import type { StoredWebhook } from './webhooks-store.js';

/**
 * One item of a user's data in an engine-neutral form (issue #12 backups): what bin/backup writes,
 * one JSON line each, and what bin/restore hands back to any engine. Shapes are the storage
 * interfaces' own, so a PostgreSQL backup restores into a MongoDB core and back.
 */
export type UserDataRecord =
  | { kind: 'user'; user: User }
  | { kind: 'profile'; profileId: string; data: Record<string, unknown> }
  | { kind: 'access'; access: StoredAccess }
  | { kind: 'access-version'; accessId: string; version: AccessVersion }
  | { kind: 'stream'; stream: Stream }
  | { kind: 'stream-deletion'; deletion: ItemDeletion }
  /**
   * `json` (optional): `event` as the JSON text the engine holds (PostgreSQL's stored doc), so a
   * writer can copy it instead of serializing `event`; with it an engine may parse `event` only when
   * read (a getter). bin/backup writes the line `{"kind":"event","event":<json>}` from it.
   */
  | { kind: 'event'; event: Event; json?: string }
  /** A past version of event `headId`, oldest first (EventsStore.history order). */
  | { kind: 'event-version'; headId: string; event: Event }
  /** `{id, deleted}` plus what the deletion mode kept. */
  | { kind: 'event-deletion'; deletion: EventDeletion }
  /**
   * Consecutive points of one series, ascending, as comma-joined flatJSON rows (SeriesStore's row
   * text); `first`/`last` are their deltaTimes, `count` their number. Pieces of one series never overlap.
   */
  | { kind: 'series'; eventId: string; first: number; last: number; count: number; points: string }
  | { kind: 'webhook'; webhook: StoredWebhook }
  /** `lastTotpStep`: the last accepted TOTP step, so a restored code cannot be replayed. */
  | { kind: 'mfa'; record: MfaRecord; lastTotpStep: number | null }
  | { kind: 'email-verification'; email: string; verifiedAt: number };

export type UserDataKind = UserDataRecord['kind'];

/**
 * Ready-made lines of records of kind `of` (bin/backup's speed, issue #12): each line (ending in
 * `\n`) is `JSON.stringify(record)` with the engine's stored event text in place of `event`
 * (`{"kind":"event","event":<doc>}`, `{"kind":"event-version","headId":"…","event":<doc>}`).
 * `chunks` cut lines anywhere; they must be read to the end before the next item is asked for.
 */
export interface UserDataLines {
  kind: 'lines';
  of: 'event' | 'event-version';
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>;
}

/** The kinds an engine may write in bulk (PostgreSQL: COPY) and digest for verifyImported. */
export type DigestedKind = 'event' | 'event-version' | 'series';

/**
 * What an import wrote of each bulk kind: rows, and an order-independent digest of the text it
 * stored for them (the engine's own, e.g. each event's doc). Only the engine that made it reads it.
 */
export type ImportDigest = Partial<Record<DigestedKind, { rows: number; digest: string }>>;

export interface ImportResult {
  counts: Partial<Record<UserDataKind, number>>;
  digest: ImportDigest;
}

/** A whole-core restore under way into an empty core (UserDataStore.beginBulkImport). */
export interface BulkImport {
  /**
   * Waits until every import committed so far is durable. Meanwhile imports may commit without
   * waiting for their own flush to disk (nothing is acknowledged until the restore reports): the
   * restore calls this before a user becomes reachable (its platform mapping) and before it reports.
   */
  durable(): Promise<void>;
  /** Ends the bulk import (a failure too): builds what was deferred; every import durable. */
  finish(): Promise<void>;
}

/**
 * Whole-user reads and writes for backup and restore. Every engine implements both (the MongoDB
 * engine too: see docs/architecture.md#the-storage-interface).
 */
export interface UserDataStore {
  /**
   * Every item of the user as of one moment (one consistent snapshot: a REPEATABLE READ transaction
   * in PostgreSQL), streamed, while other writes go on. The `user` record comes first; the rest in
   * the order of UserDataKind above, so `importUser` can write them as they come (an access before
   * its versions and webhooks, an event before its series). Empty when the user does not exist.
   */
  exportUser(userId: string): AsyncIterable<UserDataRecord>;
  /**
   * Optional (bin/backup): the same snapshot as `exportUser`, in its order, except that the user's
   * events and past versions come as UserDataLines the engine produces itself (PostgreSQL: COPY),
   * with no per-record work in JavaScript. Stopping early discards the connection.
   */
  exportUserLines?(userId: string): AsyncIterable<UserDataRecord | UserDataLines>;
  /**
   * Writes one user's records (as `exportUser` yields them) into this engine, all or nothing; stored
   * documents are kept as they are (no integrity recomputed, no tracking fields changed). Throws
   * DuplicateKeyError('username' | 'email' | 'id') when the user (or a record's key) already exists.
   * Returns how many records of each kind were written.
   */
  importUser(records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>>;
  /**
   * Optional (restore speed): bin/restore calls it once before importing every user of a backup into
   * an empty core, and `finish` once after (a failure too). The engine may defer work that costs less
   * in bulk: PostgreSQL drops the secondary indexes of its events tables and builds them in `finish`.
   * importUser stays all or nothing per user meanwhile, and PostgreSQL commits each without waiting
   * for its WAL flush until `durable` or `finish`. Engines without it import user by user.
   */
  beginBulkImport?(): Promise<BulkImport>;
  /**
   * Optional (bin/restore's speed, issue #12): importUser where the user's events may also come as
   * UserDataLines of `event` (complete lines `{"kind":"event","event":<doc>}\n`, as a backup of
   * this engine holds them: each doc is stored as its text stands), answering with the counts and a
   * digest of what was written, for verifyImported.
   */
  importUserLines?(items: AsyncIterable<UserDataRecord | UserDataLines>): Promise<ImportResult>;
  /**
   * Optional, with importUserLines: reads the user's stored rows of the bulk kinds back inside the
   * engine (no row leaves it) and compares their number and digest with what the import answered.
   * Answers the differences (empty: stored exactly as imported).
   */
  verifyImported?(userId: string, digest: ImportDigest): Promise<string[]>;
}
