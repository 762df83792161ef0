import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { batchStatement, readStatement, whereClause } from '../../../src/storage/engines/postgresql/events-read-statement.js';
import { PgEventsStore } from '../../../src/storage/engines/postgresql/events-store.js';
import { type BatchWindow, recentRowsFirst, walkableStreams } from '../../../src/storage/engines/postgresql/stream-indexed-read.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import type { EventsQuery } from '../../../src/storage/interfaces/events-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * Stream-filtered reads walk each stream's own time order (event_streams, migration 22;
 * docs/benchmarks.md#stream-filtered-reads): the same events in the same order as the general
 * statement, whatever the state, order, skip or number of batches; a cost bounded by the streams
 * and rows asked for, not by the user's events; and the table kept right by every kind of write.
 */

const services = inject('services');
let engine: PostgresEngine;
let store: PgEventsStore;
let drop: () => Promise<void>;
const USER = 'walk-user';
const OTHER = 'walk-other';
const EVENTS = 50_000;
const STREAMS = 500;

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Actual Rows': number; 'Actual Loops': number; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] }
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** Every 8th stream (60 of 500): an eighth of any run of the user's events is in them. */
const DENSE = Array.from({ length: 60 }, (_, i) => `s${i * 8}`);

const query = (over: Partial<EventsQuery>): EventsQuery => ({
  streams: [{ any: Array.from({ length: 10 }, (_, i) => `s${i + 1}`), all: [], not: [] }], types: null, fromTime: null, toTime: null,
  running: null, state: 'default', modifiedSince: null, sortAscending: false, skip: 0, limit: 20, ...over,
});

async function seed(user: string, count: number): Promise<void> {
  await new PgUsersStore(engine.pool).create({ id: user, username: user, email: `${user}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1 });
  // One stream each, every 7th in a second one, every 11th trashed; times repeat (ties sort by id);
  // every 13th a period of an hour, every 17th running (what a time range takes from before it).
  await engine.pool.query(
    `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
     SELECT $1, 'e' || i,
       CASE WHEN i % 7 = 0 THEN ARRAY['s' || (i % ${STREAMS}), 's' || ((i * 7 + 3) % ${STREAMS})] ELSE ARRAY['s' || (i % ${STREAMS})] END,
       'note/txt', 1e9 + floor(i / 3),
       CASE WHEN i % 13 = 0 THEN 1e9 + floor(i / 3) + 3600 WHEN i % 17 = 0 THEN NULL ELSE 1e9 + floor(i / 3) END,
       i % 11 = 0, 1, json_build_object('id', 'e' || i)::text
     FROM generate_series(0, $2::int - 1) AS i ORDER BY md5(i::text)`,
    [user, count],
  );
}

/** The ids the general statement answers, in its order. */
async function expected(q: EventsQuery): Promise<string[]> {
  const st = batchStatement(whereClause(USER, q, 2e9), q, { last: null, size: q.limit ?? 1e9, offset: q.skip });
  return (await engine.pool.query<{ id: string }>(st.text, st.values)).rows.map((r) => r.id);
}

async function found(q: EventsQuery): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of store.findJson(USER, q)) ids.push(...(JSON.parse(`[${e.doc}]`) as { id: string }[]).map((x) => x.id));
  return ids;
}

/** Rows handled by every node of the plan (returned or filtered out), all loops counted. */
async function rowsHandled(st: { text: string; values: unknown[] }): Promise<number> {
  const { rows } = await engine.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${st.text}`, st.values);
  return nodes(rows[0]?.['QUERY PLAN'][0].Plan as PlanNode).reduce((n, p) => n + (p['Actual Rows'] + (p['Rows Removed by Filter'] ?? 0)) * p['Actual Loops'], 0);
}

/** event_streams as it is, and as the events say it should be. */
async function derivedAndStored(): Promise<[string[], string[]]> {
  const line = "user_id || ' ' || stream_id || ' ' || time || ' ' || id || ' ' || trashed";
  const stored = await engine.pool.query<{ l: string }>(`SELECT ${line} AS l FROM event_streams ORDER BY 1`);
  const derived = await engine.pool.query<{ l: string }>(
    `SELECT DISTINCT ${line} AS l FROM (SELECT e.user_id, s AS stream_id, e.time, e.id, e.trashed FROM events e, unnest(e.stream_ids) AS s) x ORDER BY 1`,
  );
  return [stored.rows.map((r) => r.l), derived.rows.map((r) => r.l)];
}

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 2 });
  await engine.migrate();
  store = new PgEventsStore(engine.pool);
  await seed(USER, EVENTS);
  await seed(OTHER, 2_000);
  await engine.pool.query('ANALYZE events; ANALYZE event_streams');
}, 120_000);
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('stream-filtered reads (PostgreSQL)', () => {
  const cases: [string, Partial<EventsQuery>][] = [
    ['the latest 20 of 10 streams', {}],
    ['oldest first', { sortAscending: true }],
    ['trashed only', { state: 'trashed' }],
    ['trashed or not', { state: 'all', limit: 100 }],
    ['a skip', { skip: 15, limit: 30 }],
    ['three batches (keyset across 1,000-row pages), ties on time included', { limit: 2_500 }],
    ['two clauses (OR), one stream in both', { streams: [{ any: ['s3', 's4'], all: [], not: [] }, { any: ['s4', 's490'], all: [], not: [] }] }],
    ['a stream with no events', { streams: [{ any: ['nothing-here'], all: [], not: [] }] }],
    ['dense streams, the latest events looked through first', { streams: [{ any: DENSE, all: [], not: [] }], userStreamCount: STREAMS }],
    ['dense streams, looked through first, oldest first, a skip', { streams: [{ any: DENSE, all: [], not: [] }], userStreamCount: STREAMS, sortAscending: true, skip: 7, limit: 25 }],
    ['dense streams, looked through first, trashed only', { streams: [{ any: DENSE, all: [], not: [] }], userStreamCount: STREAMS, state: 'trashed' }],
    ['sparse streams, looked through first in vain, then walked', { userStreamCount: 100 }],
    ['dense streams, walked', { streams: [{ any: DENSE, all: [], not: [] }] }],
    ['dense streams, three batches', { streams: [{ any: DENSE, all: [], not: [] }], limit: 2_500 }],
    ['a time range, with the periods and running events begun before it', { fromTime: 1e9 + 8_000, toTime: 1e9 + 8_300, limit: null }],
    ['a time range, oldest first, a skip', { fromTime: 1e9 + 8_000, toTime: 1e9 + 8_300, sortAscending: true, skip: 5, limit: 50 }],
    ['a time range, trashed or not, dense streams, three batches', { fromTime: 1e9 + 2_000, toTime: 1e9 + 12_000, state: 'all', streams: [{ any: DENSE, all: [], not: [] }], limit: null }],
    ['a time range, trashed only', { fromTime: 1e9 + 8_000, toTime: 1e9 + 9_000, state: 'trashed', limit: null }],
    ['fromTime only, dense streams', { fromTime: 1e9 + 16_000, streams: [{ any: DENSE, all: [], not: [] }], limit: null }],
    ['toTime only', { toTime: 1e9 + 100, limit: null }],
    ['no stream filter (the general statement, named)', { streams: null, limit: 2_500 }],
    ['no stream filter, oldest first, a skip', { streams: null, sortAscending: true, skip: 7, limit: 25 }],
    ['a time range before every event', { fromTime: 1, toTime: 1_000, limit: null }],
  ];
  for (const [name, over] of cases) {
    it(`answers as the general statement: ${name}`, async () => {
      const q = query(over);
      if (q.streams !== null) expect(walkableStreams(q, 2e9)).not.toBeNull();
      const want = await expected(q);
      if (!['a stream with no events', 'a time range before every event'].includes(name)) expect(want.length).toBeGreaterThan(0);
      expect(await found(q)).toEqual(want);
    });
  }

  it('keeps the general statement for what event_streams does not hold', () => {
    expect(walkableStreams(query({ types: { exact: ['note/txt'], prefixes: [] } }), 2e9)).toBeNull();
    expect(walkableStreams(query({ running: true }), 2e9)).toBeNull();
    // A range that starts after now leaves out running events, which event_streams cannot tell.
    expect(walkableStreams(query({ fromTime: 2e9 + 1, toTime: 3e9 }), 2e9)).toBeNull();
    expect(walkableStreams(query({ fromTime: 1, toTime: 2 }), 2e9)).not.toBeNull();
    expect(walkableStreams(query({ streams: [{ any: ['s1'], all: [['s2']], not: [] }] }), 2e9)).toBeNull();
    expect(walkableStreams(query({ streams: [{ any: Array.from({ length: 101 }, (_, i) => `s${i}`), all: [], not: [] }] }), 2e9)).toBeNull();
    expect(walkableStreams(query({ streams: null }), 2e9)).toBeNull();
  });

  it('looks through the latest events first only when the streams are a large share of the user\'s', () => {
    const NO_RANGE = { fromTime: null, toTime: null };
    expect(recentRowsFirst({ ...NO_RANGE, userStreamCount: 70 }, 10, 20)).toBe(280);
    expect(recentRowsFirst({ ...NO_RANGE, userStreamCount: 70 }, 19, 20)).toBe(148);
    expect(recentRowsFirst({ ...NO_RANGE, userStreamCount: 10_070 }, 10, 20)).toBeNull();
    expect(recentRowsFirst({ ...NO_RANGE, userStreamCount: 70 }, 10, 1_000)).toBeNull();
    expect(recentRowsFirst(NO_RANGE, 10, 20)).toBeNull();
    expect(recentRowsFirst({ userStreamCount: 70, fromTime: 1, toTime: null }, 10, 20)).toBeNull();
  });

  it('walks the streams only when the latest events did not hold the rows asked', async () => {
    const walked = async (q: EventsQuery): Promise<boolean> => {
      const st = readStatement(USER, q, whereClause(USER, q, 2e9), { last: null, size: 20, offset: 0 }, 2e9);
      const { rows } = await engine.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${st.text}`, st.values);
      const scans = nodes(rows[0]?.['QUERY PLAN'][0].Plan as PlanNode).filter((n) => n['Relation Name'] === 'event_streams');
      expect(scans).toHaveLength(1);
      return (scans[0]?.['Actual Loops'] ?? 0) > 0;
    };
    expect(await walked(query({ streams: [{ any: DENSE, all: [], not: [] }], userStreamCount: STREAMS }))).toBe(false);
    expect(await walked(query({ userStreamCount: 100 }))).toBe(true);
    expect(await walked(query({}))).toBe(true);
  });

  it("reads a time range's own entries of the streams, however many events the streams hold outside it", async () => {
    const streams = Array.from({ length: 10 }, (_, i) => `s${i + 21}`);
    const q = query({ streams: [{ any: streams, all: [], not: [] }], fromTime: 1e9 + 8_000, toTime: 1e9 + 8_300, limit: null });
    const st = () => readStatement(USER, q, whereClause(USER, q, 2e9), { last: null, size: 1_000, offset: 0 }, 2e9);
    expect(st().name).toMatch(/^events-walk-from-to-/);
    // About 900 events of the user start in the window (18 in these streams); the periods and the
    // running events begun before it are looked through on their own small indexes.
    const before = await rowsHandled(st());
    // 100,000 point events in the same streams just after and just before the window.
    await engine.pool.query(
      `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
       SELECT $1, 'around' || i, ARRAY['s' || (21 + i % 10)], 'note/txt', t, t, false, 1, json_build_object('id', 'around' || i)::text
       FROM generate_series(0, 99999) AS i, LATERAL (SELECT CASE WHEN i % 2 = 0 THEN 1e9 + 8_301 + i / 100.0 ELSE 1e9 + 7_999 - i / 100.0 END AS t) x`,
      [USER],
    );
    await engine.pool.query('ANALYZE events; ANALYZE event_streams');
    expect(await rowsHandled(st())).toBeLessThan(before + 200);
    expect(await found(q)).toEqual(await expected(q));
    await engine.pool.query(`DELETE FROM events WHERE user_id = $1 AND id LIKE 'around%'`, [USER]);
  });

  it("reads about the rows asked for, however many events the user and the streams hold", async () => {
    const q = query({});
    const st = () => readStatement(USER, q, whereClause(USER, q, 2e9), { last: null, size: 20, offset: 0 }, 2e9);
    // The user's latest 200 events (10 × 20) looked through, then 10 streams × 20 entries merged
    // to 20 and those 20 events fetched: bounded by what is asked.
    const before = await rowsHandled(st());
    expect(before).toBeLessThan(2_000);
    // 50,000 older events in the same streams and 50,000 newer ones elsewhere: the general statement
    // now walks past the newer ones or sorts every match; this one reads what it read before.
    await engine.pool.query(
      `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
       SELECT $1, 'grow' || i, ARRAY[CASE WHEN i % 2 = 0 THEN 's' || (1 + i % 10) ELSE 'elsewhere' END], 'note/txt',
         CASE WHEN i % 2 = 0 THEN 1e8 - i ELSE 2e9 + i END, NULL, false, 1, json_build_object('id', 'grow' || i)::text
       FROM generate_series(0, 99999) AS i`,
      [USER],
    );
    await engine.pool.query('ANALYZE events; ANALYZE event_streams');
    expect(await rowsHandled(st())).toBeLessThan(2_000);
    expect(await rowsHandled(batchStatement(whereClause(USER, q, 2e9), q, { last: null, size: 20, offset: 0 }))).toBeGreaterThan(10_000);
    expect(await found(q)).toEqual(await expected(q));
  });

  const oneplan: [string, Partial<EventsQuery>, RegExp][] = [
    ['a time range', { fromTime: 1e9 + 100, toTime: 1e9 + 400, limit: null }, /^events-walk-from-to-/],
    ['the latest events looked through first', { streams: [{ any: DENSE, all: [], not: [] }], userStreamCount: STREAMS }, /^events-recent-walk-/],
    ['no filter but the state', { streams: null }, /^events-plain-/],
  ];
  it('names the read with no filter but the state and the time range alone, and no other general read', () => {
    const named = (over: Partial<EventsQuery>, b: BatchWindow = { last: null, size: 20, offset: 0 }): string | undefined =>
      readStatement(USER, query(over), whereClause(USER, query(over), 2e9), b, 2e9).name;
    expect(named({ streams: null })).toBe('events-plain-default-DESC-20');
    expect(named({ streams: null, state: 'all', sortAscending: true }, { last: { time: 1, id: 'x' }, size: 1_000, offset: 0 })).toBe('events-plain-all-ASC-1000-after');
    // Other pages and skips keep a parameter for the LIMIT, so the statement stays unnamed.
    expect(named({ streams: null }, { last: null, size: 37, offset: 0 })).toBeUndefined();
    expect(named({ streams: null }, { last: null, size: 20, offset: 5 })).toBeUndefined();
    expect(named({ streams: null, types: { exact: ['note/txt'], prefixes: [] } })).toBeUndefined();
    expect(named({ streams: null, modifiedSince: 1 })).toBeUndefined();
    expect(named({ streams: null, running: true })).toBeUndefined();
    // A time range alone, newest first, goes through homecore_events_time_range (time-range-plans.test.ts);
    // oldest first, or a later batch, it stays the general statement.
    expect(named({ streams: null, fromTime: 1 })).toBe('events-time-range');
    expect(named({ streams: null, fromTime: 1, sortAscending: true })).toBeUndefined();
    expect(named({ streams: null, fromTime: 1 }, { last: { time: 5, id: 'x' }, size: 20, offset: 0 })).toBeUndefined();
  });

  it("plans the read with no filter as the user's time order, whatever the user", async () => {
    const q = query({ streams: null });
    const st = readStatement(USER, q, whereClause(USER, q, 2e9), { last: null, size: 20, offset: 0 }, 2e9);
    const { rows } = await engine.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (GENERIC_PLAN) ${st.text}`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Scan Backward using events_time/);
    expect(plan).not.toMatch(/Sort|Bitmap/);
  });

  for (const [name, over, statement] of oneplan) {
    it(`keeps one plan for a small user beside a big one, no planning on every call: ${name}`, async () => {
      const q = query(over);
      const st = readStatement(OTHER, q, whereClause(OTHER, q, 2e9), { last: null, size: q.limit ?? 1_000, offset: 0 }, 2e9) as { name: string; text: string; values: unknown[] };
      expect(st.name).toMatch(statement);
      const client = await engine.pool.connect();
      try {
        for (let i = 0; i < 12; i++) await client.query(st);
        const { rows } = await client.query<{ generic_plans: string }>('SELECT generic_plans FROM pg_prepared_statements WHERE name = $1', [st.name]);
        // PostgreSQL plans the first five calls for their values, then keeps the generic plan when
        // it is estimated no dearer: here, the other seven.
        expect(Number(rows[0]?.generic_plans)).toBeGreaterThanOrEqual(7);
      } finally {
        client.release();
      }
    });
  }

  it('is kept right by inserts, stream moves, time changes, trashing, deletions and user deletion', async () => {
    const [stored0, derived0] = await derivedAndStored();
    expect(stored0.length).toBeGreaterThan(EVENTS);
    expect(stored0).toEqual(derived0);
    await engine.pool.query(`UPDATE events SET stream_ids = ARRAY['moved', 's1'], stream_keys = event_stream_keys(user_id, ARRAY['moved', 's1']) WHERE user_id = $1 AND id IN ('e1', 'e2', 'e14')`, [USER]);
    await engine.pool.query(`UPDATE events SET time = time + 0.5 WHERE user_id = $1 AND id LIKE 'e3%'`, [USER]);
    await engine.pool.query(`UPDATE events SET trashed = NOT trashed WHERE user_id = $1 AND id LIKE 'e4%'`, [USER]);
    await engine.pool.query(`UPDATE events SET doc = doc WHERE user_id = $1 AND id LIKE 'e5%'`, [USER]);
    await engine.pool.query(`DELETE FROM events WHERE user_id = $1 AND id LIKE 'e6%'`, [USER]);
    await engine.pool.query(`INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
      VALUES ($1, 'twice', ARRAY['s1', 's1'], 'note/txt', 5, 5, false, 1, '{"id":"twice"}')`, [USER]);
    await engine.pool.query('DELETE FROM users WHERE id = $1', [OTHER]);
    const [stored, derived] = await derivedAndStored();
    expect(stored).toEqual(derived);
    expect(stored.some((l) => l.startsWith(`${OTHER} `))).toBe(false);
    expect(stored.filter((l) => l.startsWith(`${USER} moved `))).toHaveLength(3);
    expect(await found(query({ streams: [{ any: ['moved'], all: [], not: [] }] }))).toEqual(await expected(query({ streams: [{ any: ['moved'], all: [], not: [] }] })));
  });
});
