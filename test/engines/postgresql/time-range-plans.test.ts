import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { batchStatement, readStatement, whereClause } from '../../../src/storage/engines/postgresql/events-read-statement.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import type { EventsQuery } from '../../../src/storage/interfaces/events-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * A time-range read on a user with many events (docs/benchmarks.md#full-size-run-2026-12-03): the
 * scan must start at fromTime, not walk every older event of the user back from toTime (what the
 * planner did with the period/running OR alone: 500,000 rows filtered out for 100 returned at a
 * million events). And the bound that does it must keep every event the range includes: a period
 * that started long before fromTime, a running event, points inside the window.
 */

const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
const USER = 'range-user';
const POINTS = 100_000;
const STEP = 900; // one event every 15 minutes, newest at 1e9
const FROM = 1e9 - 50_000 * STEP; // a one-day window in the middle of the user's events
const TO = FROM + 86_400;

interface PlanNode { 'Node Type': string; 'Index Name'?: string; 'Rows Removed by Filter'?: number; 'Actual Rows': number; Plans?: PlanNode[] }
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** The same read as the store sends it (readStatement: homecore_events_time_range for this shape) and as the general statement. */
function bothWays(from: number, to: number | null, limit: number, now: number): [{ name?: string; text: string; values: unknown[] }, { text: string; values: unknown[] }] {
  const query: EventsQuery = { streams: null, types: null, fromTime: from, toTime: to, running: null, state: 'default', modifiedSince: null, sortAscending: false, skip: 0, limit };
  const where = whereClause(USER, query, now);
  const batch = { last: null, size: limit, offset: 0 };
  return [readStatement(USER, query, where, batch, now), batchStatement(where, query, batch)];
}

function statement(now: number): { text: string; values: unknown[] } {
  const query: EventsQuery = {
    streams: null, types: null, fromTime: FROM, toTime: TO, running: null, state: 'default', modifiedSince: null,
    sortAscending: false, skip: 0, limit: 1000,
  };
  return batchStatement(whereClause(USER, query, now), query, { last: null, size: 1000, offset: 0 });
}

async function insert(id: string, time: number, endTime: number | null): Promise<void> {
  await engine.pool.query(
    `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
     VALUES ($1, $2, ARRAY['s'], 'note/txt', $3, $4, false, 1, json_build_object('id', $2::text, 'time', $3::float8)::text)`,
    [USER, id, time, endTime],
  );
}

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 2 });
  await engine.migrate();
  await new PgUsersStore(engine.pool).create({ id: USER, username: USER, email: 'r@example.test', language: 'en', passwordHash: 'x', created: 1, modified: 1 });
  // Point events (end_time = time), written in no particular order as events arrive.
  await engine.pool.query(
    `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
     SELECT $1, 'p' || i, ARRAY['s'], 'note/txt', 1e9 - i * ${STEP}, 1e9 - i * ${STEP}, false, 1, json_build_object('id', 'p' || i)::text
     FROM generate_series(0, ${POINTS - 1}) AS i ORDER BY md5(i::text)`,
    [USER],
  );
  // A period that started a year before the window and ends inside it; one that ended before it;
  // a running event that started before it.
  await insert('period-in', FROM - 365 * 86_400, FROM + 3600);
  await insert('period-out', FROM - 365 * 86_400, FROM - 3600);
  await insert('running', FROM - 30 * 86_400, null);
  await engine.pool.query('ANALYZE events');
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('time-range reads (PostgreSQL)', () => {
  it('return the window, the period overlapping it and the running event, and nothing else', async () => {
    const st = statement(2e9);
    const { rows } = await engine.pool.query<{ id: string }>(st.text, st.values);
    const ids = rows.map((r) => r.id);
    expect(ids).toContain('period-in');
    expect(ids).toContain('running');
    expect(ids).not.toContain('period-out');
    const points = ids.filter((id) => id.startsWith('p') && id !== 'period-in' && id !== 'period-out');
    // 1e9 - i·900 within [FROM, TO]: i from 49,904 to 50,000
    expect(points).toHaveLength(97);
  });

  it('a running event is out when "now" is before the window', async () => {
    const st = statement(FROM - 1);
    const { rows } = await engine.pool.query<{ id: string }>(st.text, st.values);
    expect(rows.map((r) => r.id)).not.toContain('running');
  });

  it('a personal time range goes through homecore_events_time_range, with the rows and order of the general statement', async () => {
    const cases: [number, number | null, number, number][] = [
      [FROM, TO, 1000, 2e9], // the window, the long period and the running event
      [FROM, TO, 1000, FROM - 1], // "now" before the window: no running event
      [FROM, TO, 10, 2e9], // a page of it
      [FROM, null, 50, 2e9], // no toTime
      [0, null, 20, 2e9], // everything, newest 20
      [TO + 1e7, null, 1000, 2e9], // after every event but the running one
    ];
    for (const [from, to, limit, now] of cases) {
      const [viaFunction, general] = bothWays(from, to, limit, now);
      expect(viaFunction.text).toContain('homecore_events_time_range');
      const a = await engine.pool.query<{ id: string; time: number; doc: string; has_attachments: boolean }>(viaFunction);
      const b = await engine.pool.query<{ id: string; time: number; doc: string; has_attachments: boolean }>(general.text, general.values);
      expect(a.rows, JSON.stringify({ from, to, limit, now })).toEqual(b.rows);
    }
    // Any other shape keeps the general statement (here: oldest first).
    const query: EventsQuery = { streams: null, types: null, fromTime: FROM, toTime: TO, running: null, state: 'default', modifiedSince: null, sortAscending: true, skip: 0, limit: 10 };
    expect(readStatement(USER, query, whereClause(USER, query, 2e9), { last: null, size: 10, offset: 0 }, 2e9).text).not.toContain('homecore_events_time_range');
  });

  it('homecore_events_time_range walks back from toTime: a wide range with a small limit reads a few pages, on every call', async () => {
    const client = await engine.pool.connect();
    try {
      for (let i = 0; i < 8; i += 1) {
        // The whole history, newest 20: a plan reading the range then sorting it would touch every page.
        const [st] = bothWays(i, null, 20, 2e9);
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${st.text}`,
          st.values,
        );
        const plan = rows[0]?.['QUERY PLAN'][0].Plan;
        // The first call also reads the catalogs to plan (about 300 pages here); the user's 100,000
        // events take about 2,000 pages, the 20 newest and their index pages about 30.
        if (i > 0) expect((plan?.['Shared Hit Blocks'] ?? 0) + (plan?.['Shared Read Blocks'] ?? 0)).toBeLessThan(100);
      }
    } finally {
      client.release();
    }
  });

  it('reads about the window, not every older event of the user', async () => {
    const st = statement(2e9);
    const { rows } = await engine.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${st.text}`, st.values);
    const all = nodes(rows[0]?.['QUERY PLAN'][0].Plan as PlanNode);
    const filtered = all.reduce((n, p) => n + (p['Rows Removed by Filter'] ?? 0), 0);
    // Without the bound: every older row (~50,000) read and filtered out. With it, the year-long
    // period pulls the scan's start a year back (~35,000 rows at one per 15 minutes), no further.
    expect(filtered).toBeLessThan(36_000);
    expect(all.some((p) => p['Node Type'] === 'Gather' || p['Node Type'] === 'Gather Merge')).toBe(false);
  });

  it("the core's connections run no parallel query (a Gather's start-up costs more than a page of rows)", async () => {
    const { rows } = await engine.pool.query<{ n: string }>("SELECT current_setting('max_parallel_workers_per_gather') AS n");
    expect(rows[0]?.n).toBe('0');
  });

  it('without long periods, the scan starts at fromTime: at most a few rows filtered out', async () => {
    await engine.pool.query(`DELETE FROM events WHERE user_id = $1 AND id IN ('period-in', 'period-out', 'running')`, [USER]);
    await engine.pool.query('ANALYZE events');
    const st = statement(2e9);
    const { rows } = await engine.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${st.text}`, st.values);
    const all = nodes(rows[0]?.['QUERY PLAN'][0].Plan as PlanNode);
    const filtered = all.reduce((n, p) => n + (p['Rows Removed by Filter'] ?? 0), 0);
    expect(filtered).toBeLessThan(100);
    const { rows: found } = await engine.pool.query<{ id: string }>(st.text, st.values);
    expect(found).toHaveLength(97);
  });
});
