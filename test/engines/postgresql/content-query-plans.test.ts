import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseContentQuery } from '../../../src/domain/content-query.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { batchStatement, whereClause } from '../../../src/storage/engines/postgresql/events-read-statement.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import type { EventsQuery } from '../../../src/storage/interfaces/events-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * The plans of content queries (issue #11, docs/benchmarks.md#content-queries), on the bench's data
 * shape: per user, 3,000 newer events with scalar content and 1,000 older ones with object content
 * `{drug: {codes: {atc}}, taken, dose}`. A page of matches must come from walking
 * `events_object_content` newest first until the page is full, not from reading every object-content
 * event of the user through a bitmap and sorting them (what the planner did before migration 18 and
 * the single COALESCE of content-sql.ts: 2,000 rows read per query instead of ~75). Plan shapes only,
 * no timings; the planner's input is the statistics ANALYZE takes, as autovacuum would after a load.
 */

const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
const USERS = ['plan-user-1', 'plan-user-2'] as const;
const USER = USERS[0];
const CODES = ['G03DA', 'B01AC', 'N02BE', 'C07AB'].flatMap((c) => Array.from({ length: 8 }, (_, i) => `${c}0${i + 1}`));

interface PlanNode { 'Node Type': string; 'Index Name'?: string; 'Scan Direction'?: string; 'Actual Rows': number; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] }

function nodes(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(nodes)];
}

/** EXPLAIN ANALYZE of the first page (limit 20, newest first) exactly as PgEventsStore.findJson sends it. */
async function firstPage(content: unknown): Promise<PlanNode> {
  const query: EventsQuery = {
    streams: null, types: null, fromTime: null, toTime: null, running: null, state: 'default', modifiedSince: null,
    sortAscending: false, skip: 0, limit: 20, content: parseContentQuery('content', content),
  };
  const st = batchStatement(whereClause(USER, query, 2e9), query, { last: null, size: 20, offset: 0 });
  const { rows } = await engine.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${st.text}`, st.values);
  const plan = rows[0]?.['QUERY PLAN'][0].Plan;
  if (plan === undefined) throw new Error('no plan');
  return plan;
}

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 2 });
  await engine.migrate();
  const users = new PgUsersStore(engine.pool);
  for (const id of USERS) {
    await users.create({ id, username: `name-${id}`, email: `${id}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1 });
  }
  // Raw rows: 8,000 events through the store would take long on a shared machine; the derived
  // columns (content, stream_keys) are filled by the trigger of migration 20. Written in no particular
  // order, as events arrive: rows laid out in time order make any index scan look cheap.
  await engine.pool.query(
    `INSERT INTO events (user_id, id, stream_ids, type, time, end_time, trashed, modified, doc)
     SELECT u, u || '-' || i, ARRAY['s' || (i % 70)], t, tm, tm, false, 1,
       json_build_object('id', u || '-' || i, 'time', tm, 'streamIds', json_build_array('s' || (i % 70)), 'type', t, 'content', c,
         'trashed', false, 'created', 1, 'createdBy', 'a', 'modified', 1, 'modifiedBy', 'a')::text
     FROM unnest($1::text[]) AS u, generate_series(0, 3999) AS i,
       LATERAL (SELECT 1e9 - i * 900 AS tm,
         CASE WHEN i < 3000 THEN (CASE WHEN i % 2 = 0 THEN 'note/txt' ELSE 'mass/kg' END) ELSE 'medication/intake' END AS t,
         CASE WHEN i < 3000 THEN to_json(i)
           ELSE json_build_object('drug', json_build_object('codes', json_build_object('atc', ($2::text[])[1 + (i * 7) % 32])), 'taken', i % 2 = 0, 'dose', i % 200)
         END AS c) AS x
     ORDER BY md5(u || i)`,
    [USERS, CODES],
  );
  await engine.pool.query('ANALYZE events');
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

describe('content query plans (PostgreSQL)', () => {
  it.each<[string, unknown]>([
    ['`in` 16 codes AND `taken` eq true', [{ path: 'drug.codes.atc', in: CODES.slice(0, 16) }, { path: 'taken', eq: true }]],
    ['prefix', [{ path: 'drug.codes.atc', prefix: 'G03' }]],
    ['range (two conditions)', [{ path: 'dose', gte: 50 }, { path: 'dose', lt: 100 }]],
    ['five conditions', [{ path: 'dose', gte: 0 }, { path: 'dose', lt: 150 }, { path: 'taken', exists: true }, { path: 'drug.codes', exists: true }, { path: 'taken', neq: 'x' }]],
  ])('%s: walks events_object_content newest first and stops at the page', async (_name, content) => {
    const plan = await firstPage(content);
    const all = nodes(plan);
    const scan = all.find((n) => n['Index Name'] === 'events_object_content');
    expect(all.map((n) => n['Node Type'])).toEqual(['Limit', 'Index Scan']);
    expect(scan).toMatchObject({ 'Node Type': 'Index Scan', 'Scan Direction': 'Backward' });
    expect(plan['Actual Rows']).toBe(20);
    // The page, plus the non-matching rows met on the way: far from the user's 1,000.
    expect((scan?.['Actual Rows'] ?? 0) + (scan?.['Rows Removed by Filter'] ?? 0)).toBeLessThan(200);
  });

  it('string equality still finds a rare value through the GIN index, without walking', async () => {
    const plan = await firstPage([{ path: 'drug.codes.atc', eq: 'nothing-has-this' }]);
    const all = nodes(plan);
    expect(all.some((n) => n['Index Name'] === 'events_content')).toBe(true);
    expect(all.some((n) => n['Index Name'] === 'events_object_content')).toBe(false);
    expect(plan['Actual Rows']).toBe(0);
  });
});
