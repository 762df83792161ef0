import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseContentQuery } from '../../../src/domain/content-query.js';
import type { Event } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import type { EventsQuery } from '../../../src/storage/interfaces/events-store.js';
import type { Stores } from '../../../src/storage/interfaces/stores.js';
import type { UserDataLines, UserDataRecord } from '../../../src/storage/interfaces/user-data-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * Migration 20 (issue #12 restore speed, event-columns-migration.ts): `stream_keys`, `content` and
 * `client_data` are no longer generated; every write path supplies them. The triggers that fill them
 * for other writers are disabled here first, so a path that leaves them NULL or stale fails these
 * tests; the last test turns them on again and checks them on raw SQL writes.
 */
const services = inject('services');
let engine: PostgresEngine;
let stores: Stores;
let drop: () => Promise<void>;
const USER = 'cols-user';

const QUERY: EventsQuery = {
  streams: null, types: null, fromTime: null, toTime: null, running: null, state: 'all', modifiedSince: null,
  sortAscending: true, skip: 0, limit: 100,
};

async function ids(query: Partial<EventsQuery>, user = USER): Promise<string[]> {
  const out: string[] = [];
  for await (const e of stores.events.find(user, { ...QUERY, ...query })) out.push(e.id);
  return out.sort();
}

const byContent = (path: string, eq: unknown): Partial<EventsQuery> => ({ content: parseContentQuery('content', [{ path, eq }]) });
const byClientData = (path: string, eq: unknown): Partial<EventsQuery> => ({ content: parseContentQuery('clientData', [{ path, eq }]) });
const inStream = (id: string): Partial<EventsQuery> => ({ streams: [{ any: [id], all: [], not: [] }] });

/** Rows whose columns differ from what the former generated expressions give. */
async function stale(): Promise<string[]> {
  const { rows } = await engine.pool.query<{ id: string }>(
    `SELECT id FROM events WHERE stream_keys IS DISTINCT FROM event_stream_keys(user_id, stream_ids)
       OR content IS DISTINCT FROM doc::jsonb -> 'content' OR client_data IS DISTINCT FROM doc::jsonb -> 'clientData' ORDER BY id`);
  return rows.map((r) => r.id);
}

const event = (id: string, streamIds: string[], fields: Partial<Event> = {}): Event => ({
  id, streamIds, type: 'note/txt', time: 1_700_000_000, duration: 0, content: undefined, description: undefined, clientData: undefined,
  attachments: undefined, trashed: false, created: 1, createdBy: 'a', modified: 1, modifiedBy: 'a', ...fields,
});

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 2 });
  await engine.migrate();
  await engine.pool.query('ALTER TABLE events DISABLE TRIGGER events_columns_insert, DISABLE TRIGGER events_columns_update');
  stores = engine.stores();
  await stores.users.create({ id: USER, username: 'cols-name', email: 'cols@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 });
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('events columns written by the store (migration 20)', () => {
  it('create, content update, stream move, clientData update and trash: queries see each change', async () => {
    await stores.events.create(USER, event('e1', ['a'], { content: { code: 'X1' }, clientData: { app: 'one' } }));
    await stores.events.create(USER, event('e2', [], { content: null }));
    await stores.events.create(USER, event('e3', ['a', 'b'], { content: 'plain' }));
    expect(await ids(byContent('code', 'X1'))).toEqual(['e1']);
    expect(await ids(byClientData('app', 'one'))).toEqual(['e1']);
    expect(await ids(inStream('b'))).toEqual(['e3']);

    await stores.events.update(USER, 'e1', (e) => ({ ...e, content: { code: 'Y2' } }));
    expect(await ids(byContent('code', 'X1'))).toEqual([]);
    expect(await ids(byContent('code', 'Y2'))).toEqual(['e1']);

    await stores.events.update(USER, 'e1', (e) => ({ ...e, streamIds: ['b'] }));
    expect(await ids(inStream('a'))).toEqual(['e3']);
    expect(await ids(inStream('b'))).toEqual(['e1', 'e3']);

    await stores.events.update(USER, 'e1', (e) => ({ ...e, clientData: { app: 'two' } }));
    expect(await ids(byClientData('app', 'one'))).toEqual([]);
    expect(await ids(byClientData('app', 'two'))).toEqual(['e1']);

    await stores.events.update(USER, 'e3', (e) => ({ ...e, trashed: true, content: undefined }));
    expect(await ids({ ...inStream('b'), state: 'trashed' })).toEqual(['e3']);
    expect(await stale()).toEqual([]);
  });

  it('a user import writes them too, with absent, null and nested values', async () => {
    async function* records(): AsyncGenerator<UserDataRecord> {
      yield { kind: 'user', user: { id: 'cols-imported', username: 'cols-imported', email: 'ci@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 } };
      yield { kind: 'event', event: event('i1', ['s "q" \\ é'], { content: { deep: { code: 'Z3' } }, clientData: { k: [1, null] } }) };
      yield { kind: 'event', event: event('i2', [], { content: null, clientData: undefined }) };
      yield { kind: 'event', event: event('i3', ['s2'], { content: 12.5 }) };
      // As bin/restore hands over a PostgreSQL backup's lines: the stored text, kept as it is.
      const running = event('i4', ['s2'], { duration: null, trashed: true, attachments: [{ id: 'f1', fileName: 'a', type: 't', size: 5 }, { id: 'f2', fileName: 'b', type: 't', size: 7 }] });
      yield { kind: 'event', json: JSON.stringify({ type: running.type, ...running }), event: running };
      yield { kind: 'event', json: JSON.stringify(event('i5', ['s2'], { duration: 30 })), event: event('i5', ['s2'], { duration: 30 }) };
    }
    await stores.userData.importUser(records());
    expect(await ids(byContent('deep.code', 'Z3'), 'cols-imported')).toEqual(['i1']);
    expect(await ids(inStream('s "q" \\ é'), 'cols-imported')).toEqual(['i1']);
    expect(await stale()).toEqual([]);
    const { rows } = await engine.pool.query<{ id: string; content: unknown; null_content: boolean }>(
      `SELECT id, content, content IS NULL AS null_content FROM events WHERE user_id = 'cols-imported' ORDER BY id`);
    // A null content is jsonb null, an absent one SQL NULL (as the generated column had them).
    expect(rows.map((r) => [r.id, r.null_content])).toEqual([['i1', false], ['i2', false], ['i3', false], ['i4', true], ['i5', true]]);
    const { rows: cols } = await engine.pool.query<{ id: string; end_time: number | null; trashed: boolean; bytes: string | null }>(
      `SELECT id, end_time, trashed, attached_bytes AS bytes FROM events WHERE user_id = 'cols-imported' ORDER BY id`);
    const { rows: docs } = await engine.pool.query<{ doc: string }>(`SELECT doc FROM events WHERE user_id = 'cols-imported' AND id = 'i4'`);
    expect(docs[0]?.doc.startsWith('{"type":"note/txt","id":"i4"')).toBe(true);
    const T = 1_700_000_000;
    expect(cols).toEqual([
      { id: 'i1', end_time: T, trashed: false, bytes: null }, { id: 'i2', end_time: T, trashed: false, bytes: null },
      { id: 'i3', end_time: T, trashed: false, bytes: null }, { id: 'i4', end_time: null, trashed: true, bytes: '12' },
      { id: 'i5', end_time: T + 30, trashed: false, bytes: null },
    ]);
  });

  it('event lines (bin/restore of a PostgreSQL backup) write them too, each doc stored as its bytes stand', async () => {
    const docs = [
      JSON.stringify(event('l1', ['s "q" \\ é', 'plain'], { content: { deep: { code: 'L1' } }, clientData: { k: 'tab\there' } })),
      // Raw tab, CR-free whitespace and a backslash escape: as another writer may have stored it.
      `{\t"id": "l2", "streamIds": ["s2"], "type": "note/txt", "time": 5, "content": "a\\\\N \\u00e9 🙂", "trashed": true, "modified": 2}`,
      JSON.stringify(event('l3', ['s2'], { duration: null, attachments: [{ id: 'f1', fileName: 'a', type: 't', size: 9 }] })),
    ];
    const lines = Buffer.from(docs.map((d) => `{"kind":"event","event":${d}}\n`).join(''));
    async function* items(): AsyncGenerator<UserDataRecord | UserDataLines> {
      yield { kind: 'user', user: { id: 'cols-lines', username: 'cols-lines', email: 'cl@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 } };
      // Cut anywhere but between lines: two runs.
      const cut = lines.indexOf('\n') + 1;
      yield { kind: 'lines', of: 'event', chunks: [lines.subarray(0, cut)] };
      yield { kind: 'lines', of: 'event', chunks: [lines.subarray(cut)] };
    }
    const result = await stores.userData.importUserLines?.(items());
    expect(result?.counts).toEqual({ user: 1, event: 3 });
    expect(await stale()).toEqual([]);
    expect(await ids(byContent('deep.code', 'L1'), 'cols-lines')).toEqual(['l1']);
    expect(await ids(inStream('s "q" \\ é'), 'cols-lines')).toEqual(['l1']);
    expect(await ids({ ...inStream('s2'), state: 'trashed' }, 'cols-lines')).toEqual(['l2']);
    const { rows } = await engine.pool.query<{ doc: string; end_time: number | null; bytes: string | null }>(
      `SELECT doc, end_time, attached_bytes AS bytes FROM events WHERE user_id = 'cols-lines' ORDER BY id`);
    expect(rows).toEqual([{ doc: docs[0], end_time: 1_700_000_000, bytes: null }, { doc: docs[1], end_time: 5, bytes: null }, { doc: docs[2], end_time: null, bytes: '9' }]);
    expect(await stores.userData.verifyImported?.('cols-lines', result?.digest ?? {})).toEqual([]);
  });

  it('the triggers fill them for a writer that does not (raw SQL, the previous release)', async () => {
    await engine.pool.query('ALTER TABLE events ENABLE TRIGGER events_columns_insert, ENABLE TRIGGER events_columns_update');
    await engine.pool.query(
      `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
       VALUES ($1, 'r1', '{raw}', 'note/txt', 1, 1, false, 1, $2)`,
      [USER, JSON.stringify(event('r1', ['raw'], { content: { code: 'R1' }, clientData: { x: 1 } }))]);
    expect(await ids(byContent('code', 'R1'))).toEqual(['r1']);
    await engine.pool.query(`UPDATE events SET stream_ids = '{moved}', doc = $2 WHERE user_id = $1 AND id = 'r1'`,
      [USER, JSON.stringify(event('r1', ['moved'], { content: { code: 'R2' } }))]);
    expect(await ids(byContent('code', 'R2'))).toEqual(['r1']);
    expect(await ids(inStream('moved'))).toEqual(['r1']);
    expect(await stale()).toEqual([]);
  });
});
