import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIntegrityCheck, type IntegrityReport } from '../../src/cli/integrity-check.js';
import { createLogger } from '../../src/logging/logger.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/** bin/integrity-check against a real database: events written with integrity on, one edited behind the API. */

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
  t = await createApiTestApp({ HOMECORE_INTEGRITY__EVENTS: 'true' });
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
    expect(report).toEqual({ checked: 2, withIntegrity: 2, mismatches: [] });
  });

  it('names the event edited in the database behind the API (exit 1)', async () => {
    const id = await createEvent('three');
    await t.pool.query(`UPDATE events SET doc = jsonb_set(doc::jsonb, '{content}', '"edited"')::text WHERE id = $1`, [id]);
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.checked).toBe(3);
    expect(report.mismatches).toEqual([{ userId: u.user.id, eventId: id }]);
  });
});
