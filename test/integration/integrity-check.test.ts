import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIntegrityCheck, type IntegrityReport } from '../../src/cli/integrity-check.js';
import { createLogger } from '../../src/logging/logger.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/** bin/integrity-check against a real database: events and accesses written with integrity on, some edited behind the API. */

let t: ApiTestApp;
let u: TestUser;
const logger = createLogger({ level: 'silent', role: 'test' });

async function createEvent(content: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST', url: `/${u.username}/events`, headers: { authorization: u.token },
    payload: { streamIds: ['diary'], type: 'note/txt', content },
  });
  expect(res.statusCode).toBe(201);
  return res.json().event.id as string;
}

async function check(): Promise<{ code: number; report: IntegrityReport }> {
  const lines: string[] = [];
  const code = await runIntegrityCheck(t.config, logger, (line) => lines.push(line));
  return { code, report: JSON.parse(lines.join('\n')) as IntegrityReport };
}

beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_INTEGRITY__EVENTS: 'true', HOMECORE_INTEGRITY__ACCESSES: 'true' });
  u = await t.createUser();
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}/streams`, headers: { authorization: u.token }, payload: { id: 'diary', name: 'Diary' } });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

describe('integrity check', () => {
  it('passes (exit 0) while every event matches its integrity', async () => {
    await createEvent('one');
    await createEvent('two');
    const { code, report } = await check();
    expect(code).toBe(0);
    expect(report).toMatchObject({ checked: 2, withIntegrity: 2, mismatches: [], accesses: { mismatches: [] } });
    // The login session of createUser().
    expect(report.accesses.checked).toBeGreaterThanOrEqual(1);
  });

  it('names the event edited in the database behind the API (exit 1)', async () => {
    const id = await createEvent('three');
    await t.pool.query(`UPDATE events SET doc = jsonb_set(doc::jsonb, '{content}', '"edited"')::text WHERE id = $1`, [id]);
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.checked).toBe(3);
    expect(report.mismatches).toEqual([{ userId: u.user.id, eventId: id }]);
  });

  it('accesses: stored at create and update (the value the API shows), an edited row is named (exit 1)', async () => {
    const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: object) =>
      t.app.inject({ method, url: `/${u.username}${url}`, headers: { authorization: u.token }, ...(payload === undefined ? {} : { payload }) });
    const created = (await call('POST', '/accesses', { type: 'app', name: 'checked', permissions: [{ streamId: 'diary', level: 'read' }] })).json().access;
    const updated = (await call('PUT', `/accesses/${created.id as string}`, { name: 'checked-2' })).json().access;
    expect(updated.integrity).not.toBe(created.integrity);
    const { rows } = await t.pool.query<{ integrity: string }>('SELECT integrity FROM accesses WHERE id = $1', [created.id]);
    expect(rows[0]?.integrity).toBe(updated.integrity);
    const history = (await call('GET', `/accesses/${updated.id as string}?includeHistory=true`)).json().history as { integrity: string }[];
    expect(history[0]?.integrity).toBe(created.integrity);
    const before = await check();
    expect(before.report.accesses.mismatches).toEqual([]);
    await t.pool.query(`UPDATE accesses SET permissions = '[{"streamId": "*", "level": "manage"}]' WHERE id = $1`, [created.id]);
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.accesses.mismatches).toEqual([{ userId: u.user.id, accessId: created.id }]);
  });
});
