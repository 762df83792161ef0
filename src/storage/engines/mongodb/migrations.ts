import type { Db, IndexSpecification, CreateIndexesOptions } from 'mongodb';
import type { Logger } from '../../../logging/logger.js';
import { C } from './context.js';
import { withLock } from './lease-lock.js';
import { moveToUserCollections } from './user-collections-migration.js';

/**
 * Versioned migrations of the MongoDB engine (numbered from 1, its own sequence), recorded in
 * `schemaMigrations`. Only what FerretDB 1.24 and MongoDB both have: plain and unique compound
 * indexes (no partial, TTL, text or collation indexes). Uniqueness that PostgreSQL scopes with a
 * partial index (live stream names, live access names) uses a key field that a deletion rewrites to
 * something unique instead (streams-store.ts, accesses-store.ts).
 */
export interface MongoMigration {
  version: number;
  name: string;
  up(db: Db): Promise<void>;
}

type IndexDef = [string, IndexSpecification, CreateIndexesOptions?];

async function indexes(db: Db, collection: string, defs: IndexDef[]): Promise<void> {
  await db.createCollection(collection).catch((err: { codeName?: string; code?: number }) => {
    if (err.code !== 48 && err.codeName !== 'NamespaceExists') throw err;
  });
  for (const [name, spec, options] of defs) await db.collection(collection).createIndex(spec, { ...options, name });
}

const unique = { unique: true };

export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  {
    version: 1,
    name: 'collections-and-indexes',
    async up(db) {
      await indexes(db, C.coreInfo, []);
      await indexes(db, C.locks, []);
      await indexes(db, C.users, [['users_username', { username: 1 }, unique], ['users_email', { emailKey: 1 }, unique]]);
      await indexes(db, C.accesses, [
        ['accesses_pkey', { userId: 1, id: 1 }, unique],
        ['accesses_token', { userId: 1, tokenHash: 1 }, unique],
        // liveKey = type + name + deviceName while live, `deleted <id>` once deleted (no partial index).
        ['accesses_name', { userId: 1, liveKey: 1 }, unique],
      ]);
      await indexes(db, C.accessHistory, [['access_history_pkey', { userId: 1, id: 1, serial: 1 }, unique]]);
      await indexes(db, C.profiles, [['profiles_pkey', { userId: 1, id: 1 }, unique]]);
      await indexes(db, C.streams, [
        ['streams_pkey', { userId: 1, id: 1 }, unique],
        // siblingKey = parentId + name while live, `deleted <id>` once deleted.
        ['streams_sibling_name', { userId: 1, siblingKey: 1 }, unique],
        ['streams_deleted', { userId: 1, deleted: 1 }],
      ]);
      // One document per event id, live or deleted (`deleted` set: the deletion record).
      await indexes(db, C.events, [
        ['events_pkey', { userId: 1, id: 1 }, unique],
        ['events_time', { userId: 1, deleted: 1, time: -1, id: -1 }],
        ['events_stream_ids', { userId: 1, streamIds: 1, time: -1 }],
        ['events_modified', { userId: 1, modified: 1 }],
        ['events_deleted', { userId: 1, deleted: 1, id: 1 }],
      ]);
      await indexes(db, C.eventVersions, [['event_versions_pkey', { userId: 1, headId: 1, rev: 1 }, unique]]);
      await indexes(db, C.seriesChunks, [['series_chunks_pkey', { userId: 1, eventId: 1, tMin: 1 }, unique]]);
      await indexes(db, C.seriesJournal, [['series_journal_pkey', { userId: 1, eventId: 1 }, unique]]);
      await indexes(db, C.keyValues, [['key_values_expires', { expiresAt: 1 }]]);
      await indexes(db, C.webhooks, [
        ['webhooks_pkey', { userId: 1, id: 1 }, unique],
        ['webhooks_access_url', { userId: 1, accessId: 1, url: 1 }, unique],
        ['webhooks_state', { state: 1 }],
      ]);
      await indexes(db, C.webhookDeliveries, [
        ['webhook_deliveries_pkey', { userId: 1, webhookId: 1 }, unique],
        ['webhook_deliveries_due', { dueAt: 1 }],
      ]);
      await indexes(db, C.attempts, [['auth_attempts_last_at', { lastAt: 1 }]]);
      await indexes(db, C.mfa, [['user_mfa_pkey', { userId: 1 }, unique]]);
      await indexes(db, C.mailTemplates, [['mail_templates_pkey', { kind: 1, language: 1, part: 1 }, unique]]);
      await indexes(db, C.emailVerifications, [['email_verifications_pkey', { userId: 1 }, unique]]);
    },
  },
  {
    // Each user's events, versions and series chunks in collections of their own (user-collections.ts).
    version: 2,
    name: 'collections-per-user',
    up: (db) => moveToUserCollections(db),
  },
];

export const MONGO_SCHEMA_VERSION = MONGO_MIGRATIONS[MONGO_MIGRATIONS.length - 1]?.version ?? 0;

interface MigrationDoc {
  _id: number;
  name: string;
  appliedAt: Date;
}

export async function readSchemaVersion(db: Db): Promise<number> {
  const top = await db.collection<MigrationDoc>(C.migrations).find({}).sort({ _id: -1 }).limit(1).toArray();
  return top[0]?._id ?? 0;
}

/**
 * Applies pending migrations once across processes: a lease lock in `locks` (no advisory locks
 * here) lets one process migrate while the others wait, then find nothing to do. Every step is
 * idempotent (createIndex of an existing index is a no-op), so a migrator dying half-way is finished
 * by the next one. Versions are applied by presence, not order.
 */
export async function migrateMongo(db: Db, logger: Logger, migrations: readonly MongoMigration[] = MONGO_MIGRATIONS): Promise<number[]> {
  const log = logger.child({ component: 'storage:mongodb:migrate' });
  return withLock(db, 'migrations', 60_000, async () => {
    const done = new Set((await db.collection<MigrationDoc>(C.migrations).find({}).toArray()).map((m) => m._id));
    const applied: number[] = [];
    for (const m of migrations.filter((x) => !done.has(x.version))) {
      await m.up(db);
      await db.collection<MigrationDoc>(C.migrations).updateOne({ _id: m.version }, { $set: { name: m.name, appliedAt: new Date() } }, { upsert: true });
      applied.push(m.version);
      log.info({ version: m.version, name: m.name }, 'MongoDB migration applied');
    }
    return applied;
  });
}

/** Claims the database for a core, or refuses when it already belongs to another one. */
export async function claimDatabase(db: Db, coreId: string): Promise<void> {
  const info = db.collection<{ _id: string; value: string }>(C.coreInfo);
  await info.updateOne({ _id: 'core_id' }, { $setOnInsert: { value: coreId } }, { upsert: true }).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err;
  });
  const owner = (await info.findOne({ _id: 'core_id' }))?.value;
  if (owner !== coreId) throw new Error(`MongoDB database belongs to core "${owner ?? '?'}", not "${coreId}": refusing to start`);
}
