import pg from 'pg';
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { Event } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import type { UserDataRecord } from '../../../src/storage/interfaces/user-data-store.js';
import { createTestDatabase, type PgSettings } from '../../helpers/pg-database.js';

/**
 * UserDataStore.beginBulkImport on PostgreSQL (issue #12 restore speed, bulk-import.ts): the events
 * indexes are dropped for a whole-core restore into an empty database and built again by `finish`,
 * or by the next engine.migrate() when the restore was killed in between; a database with events
 * keeps them.
 */
const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
const engines: PostgresEngine[] = [];
const drops: (() => Promise<void>)[] = [];

async function migrated(): Promise<PgSettings> {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drops.push(db.drop);
  const e = engine(db.settings);
  await e.migrate();
  return db.settings;
}

function engine(settings: PgSettings): PostgresEngine {
  // finish takes three: two index builders and the event_streams filler (bulk-import.ts).
  const e = new PostgresEngine(settings, logger, { poolSize: 4 });
  engines.push(e);
  return e;
}

async function indexes(e: PostgresEngine): Promise<string[]> {
  const { rows } = await e.pool.query<{ def: string }>(
    `SELECT indexdef AS def FROM pg_indexes WHERE tablename IN ('events', 'event_versions', 'series_chunks') ORDER BY indexname`);
  return rows.map((r) => r.def);
}

/** The foreign keys of those tables, with whether each is validated. */
async function foreignKeys(e: PostgresEngine): Promise<string[]> {
  const { rows } = await e.pool.query<{ fk: string }>(
    `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated AS fk
       FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY ('{events,event_versions,series_chunks}'::regclass[]) ORDER BY 1`);
  return rows.map((r) => r.fk);
}

/**
 * event_streams (migration 22) as a bulk import must leave it: every (event, stream) row, its primary
 * key, its insert trigger on. Answers the row count.
 */
async function eventStreamsKept(e: PostgresEngine): Promise<number> {
  const { rows } = await e.pool.query<{ missing: string; extra: string; n: string; pkey: boolean; enabled: string }>(
    `WITH want AS (SELECT DISTINCT e.user_id, s AS stream_id, e.time, e.id, e.trashed FROM events e, unnest(e.stream_ids) AS s)
     SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM event_streams) x) AS missing,
            (SELECT count(*) FROM (SELECT * FROM event_streams EXCEPT SELECT * FROM want) x) AS extra,
            (SELECT count(*) FROM event_streams) AS n,
            EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'event_streams_pkey') AS pkey,
            (SELECT tgenabled FROM pg_trigger WHERE tgname = 'events_streams_insert') AS enabled`);
  expect(rows[0]).toMatchObject({ missing: '0', extra: '0', pkey: true, enabled: 'O' });
  return Number(rows[0]?.n);
}

async function note(e: PostgresEngine): Promise<number> {
  const { rows } = await e.pool.query(`SELECT 1 FROM core_info WHERE key = 'bulk_import_deferred_indexes'`);
  return rows.length;
}

const event = (id: string, n: number): Event => ({
  id, streamIds: ['diary', 'with "quotes" \\ and é'], type: 'note/txt', time: 1_700_000_000 + n / 3, duration: n % 2 === 0 ? null : 60,
  content: n % 3 === 0 ? { a: { b: n } } : `note "${n}"`, description: undefined, clientData: undefined, attachments: undefined, trashed: n % 5 === 0,
  created: 1, createdBy: 'a', modified: 2 + n, modifiedBy: 'a',
});

async function* userRecords(userId: string, events: number): AsyncGenerator<UserDataRecord> {
  yield { kind: 'user', user: { id: userId, username: userId, email: `${userId}@example.com`, language: 'en', passwordHash: 'x', created: 1, modified: 1 } };
  for (let n = 0; n < events; n += 1) yield { kind: 'event', event: event(`c${userId}${String(n).padStart(6, '0')}`, n) };
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  for (const drop of drops) await drop();
});

describe('PostgreSQL bulk import', () => {
  it('drops the secondary events indexes of an empty database and builds the same ones in finish', async () => {
    const e = engine(await migrated());
    const before = await indexes(e);
    const keys = await foreignKeys(e);
    expect(before.some((d) => d.includes('events_stream_keys'))).toBe(true);
    expect(keys.length).toBe(3);
    const userData = e.stores().userData;
    const bulk = await userData.beginBulkImport?.();
    if (bulk === undefined) throw new Error('PostgreSQL has beginBulkImport');
    // Primary keys only meanwhile (duplicates still refused), no foreign keys, and the notes of what to build.
    expect((await indexes(e)).every((d) => d.includes('_pkey'))).toBe(true);
    expect(await foreignKeys(e)).toEqual([]);
    expect(await note(e)).toBe(1);
    await userData.importUser(userRecords('bulka', 2500));
    await bulk.finish();
    expect(await indexes(e)).toEqual(before);
    expect(await foreignKeys(e)).toEqual(keys);
    expect(await note(e)).toBe(0);
    // What went in reads back through the store as written.
    expect(await e.stores().events.get('bulka', 'cbulka000003')).toEqual(event('cbulka000003', 3));
    expect(await e.stores().events.get('bulka', 'cbulka002499')).toEqual(event('cbulka002499', 2499));
    // Filled once at the end, not row by row (two streams per event).
    expect(await eventStreamsKept(e)).toBe(5000);
  });

  it('durable(): every import committed so far is flushed to the WAL on disk when it resolves', async () => {
    const e = engine(await migrated());
    const userData = e.stores().userData;
    const bulk = await userData.beginBulkImport?.();
    if (bulk === undefined) throw new Error('PostgreSQL has beginBulkImport');
    await userData.importUser(userRecords('durable1', 200));
    await userData.importUser(userRecords('durable2', 200));
    // Imports commit without waiting for their flush meanwhile (measured in bench/backup); the WAL
    // written up to here must be on disk once durable() resolves.
    const { rows: [written] } = await e.pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await bulk.durable();
    const { rows: [behind] } = await e.pool.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, pg_current_wal_flush_lsn()) AS bytes', [written?.lsn]);
    expect(Number(behind?.bytes)).toBeLessThanOrEqual(0);
    // The write that forced the flush left nothing behind.
    expect((await e.pool.query(`SELECT key FROM core_info WHERE key LIKE 'bulk_import_flush%'`)).rows).toEqual([]);
    await bulk.finish();
    expect(await e.pool.query(`SELECT count(*)::int AS n FROM events WHERE user_id LIKE 'durable%'`).then((r) => r.rows[0])).toEqual({ n: 400 });
  });

  it('leaves the indexes of a database that has events', async () => {
    const e = engine(await migrated());
    const userData = e.stores().userData;
    await userData.importUser(userRecords('busy', 3));
    const before = await indexes(e);
    const bulk = await userData.beginBulkImport?.();
    expect(await indexes(e)).toEqual(before);
    expect(await note(e)).toBe(0);
    await bulk?.finish();
    expect(await indexes(e)).toEqual(before);
    expect(await eventStreamsKept(e)).toBe(6);
  });

  it('a restore killed before finish: the next migrate builds the indexes and adds back the foreign keys it noted', async () => {
    const settings = await migrated();
    const first = engine(settings);
    const before = await indexes(first);
    const keys = await foreignKeys(first);
    await first.stores().userData.beginBulkImport?.();
    await first.stores().userData.importUser(userRecords('killed', 10));
    await first.close();
    const next = engine(settings);
    expect(await indexes(next)).not.toEqual(before);
    expect(await foreignKeys(next)).toEqual([]);
    expect(await next.migrate()).toEqual([]);
    expect(await indexes(next)).toEqual(before);
    expect(await foreignKeys(next)).toEqual(keys);
    expect(await note(next)).toBe(0);
    expect(await eventStreamsKept(next)).toBe(20);
  });

  it('finish builds the indexes on two connections at once; killed mid-build, the next migrate ends with every index and key', async () => {
    const settings = await migrated();
    const e = engine(settings);
    const before = await indexes(e);
    const keys = await foreignKeys(e);
    const bulk = await e.stores().userData.beginBulkImport?.();
    await e.stores().userData.importUser(userRecords('killedbuild', 50));
    // Meanwhile the trigger is off: nothing is kept row by row.
    expect((await e.pool.query('SELECT 1 FROM event_streams')).rowCount).toBe(0);
    // A writer's lock holds every CREATE INDEX (SHARE) at its start, so the builds under way can be seen, then killed.
    const blocker = new pg.Client({ host: settings.host, port: settings.port, database: settings.database, user: settings.user, password: settings.password });
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE events IN ROW EXCLUSIVE MODE');
    const finishing = bulk?.finish();
    finishing?.catch(() => undefined);
    // Asked outside the blocker's transaction, whose view of pg_stat_activity is fixed at its first read.
    const building = async (): Promise<number[]> => (await e.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX%' AND wait_event_type = 'Lock'`)).rows.map((r) => r.pid);
    await vi.waitFor(async () => expect(await building()).toHaveLength(2), { timeout: 20_000, interval: 50 });
    for (const pid of await building()) await e.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    // The event_streams filler waits behind the blocker too, and finish reports only once it is done.
    await blocker.query('ROLLBACK');
    await blocker.end();
    await expect(finishing).rejects.toThrow();
    expect(await note(e)).toBe(1);
    const next = engine(settings);
    await next.migrate();
    expect(await indexes(next)).toEqual(before);
    expect(await foreignKeys(next)).toEqual(keys);
    expect(await note(next)).toBe(0);
    expect(await eventStreamsKept(next)).toBe(100);
  });

  it('finish validates the foreign keys it adds back: a row pointing nowhere fails it, and the note stays', async () => {
    const e = engine(await migrated());
    const keys = await foreignKeys(e);
    const bulk = await e.stores().userData.beginBulkImport?.();
    await e.stores().userData.importUser(userRecords('orphan', 2));
    await e.pool.query(`INSERT INTO series_chunks (user_id, event_id, t_min, t_max, n, points) VALUES ('orphan', 'no-such-event', 0, 1, 1, '0,1')`);
    await expect(bulk?.finish()).rejects.toThrow(/series_chunks/);
    expect(await e.pool.query(`SELECT 1 FROM core_info WHERE key = 'bulk_import_deferred_foreign_keys'`).then((r) => r.rowCount)).toBe(1);
    // Once the row is gone, the next migrate completes the restore's constraints.
    await e.pool.query(`DELETE FROM series_chunks WHERE event_id = 'no-such-event'`);
    await e.migrate();
    expect(await foreignKeys(e)).toEqual(keys);
  });
});
