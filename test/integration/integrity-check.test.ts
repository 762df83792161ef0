import { randomBytes } from 'node:crypto';
import { rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIntegrityCheck, type IntegrityReport } from '../../src/cli/integrity-check.js';
import { createLogger } from '../../src/logging/logger.js';
import { attachmentsDirOf } from '../../src/storage/files/attachment-files.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { api, giveRqliteCredential, seedUser } from '../helpers/backup-seed.js';

/**
 * bin/integrity-check against a real database and rqlited: event and access integrity (records edited
 * behind the API, t.records), attached files (missing, altered, orphans), series order, the platform mapping, --repair.
 */
let t: ApiTestApp;
let u: TestUser;
const logger = createLogger({ level: 'silent', role: 'test' });

async function check(repair = false): Promise<{ code: number; report: IntegrityReport }> {
  const lines: string[] = [];
  const code = await runIntegrityCheck(t.config, logger, (line) => lines.push(line), { repair });
  return { code, report: JSON.parse(lines.join('\n')) as IntegrityReport };
}

async function createEvent(content: string): Promise<string> {
  const res = await api(t, u, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content });
  expect(res.status).toBe(201);
  return (res.body.event as { id: string }).id;
}

beforeAll(async () => {
  // A core id of its own: the shared test rqlited maps other files' users to 'test-core'.
  t = await createApiTestApp({ HOMECORE_INTEGRITY__EVENTS: 'true', HOMECORE_INTEGRITY__ACCESSES: 'true', HOMECORE_CORE__ID: `ic-${randomBytes(3).toString('hex')}`, HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' });
  giveRqliteCredential(t);
  u = await t.createUser();
  await seedUser(t, u, 3);
});
afterAll(async () => {
  await t?.close();
});

describe('integrity check', () => {
  it('passes (exit 0) on a sound core: events, attachments, series, mapping', async () => {
    const { code, report } = await check();
    expect(report.mismatches).toEqual([]);
    expect(code).toBe(0);
    expect(report.users).toBe(1);
    expect(report.withIntegrity).toBe(report.checked);
    expect(report.attachments.checked).toBe(4);
    expect(report.series.pieces).toBeGreaterThan(0);
    expect(report.platform).toEqual({ checked: true, unmapped: [], elsewhere: [], orphanMappings: [] });
    // At least the login session of createUser().
    expect(report.accesses.checked).toBeGreaterThanOrEqual(1);
    expect(report.accesses.mismatches).toEqual([]);
  });

  it('names the event edited in the database behind the API (exit 1)', async () => {
    const id = await createEvent('three');
    await t.records.editEventContent(u.user.id, id, 'edited');
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.mismatches).toEqual([{ userId: u.user.id, eventId: id }]);
    await api(t, u, 'DELETE', `/events/${id}`);
    await api(t, u, 'DELETE', `/events/${id}`);
  });

  it('finds an altered file, a missing file and overlapping series chunks', async () => {
    const listed = (await api(t, u, 'GET', '/events?limit=1000')).body.events as { id: string; attachments?: { id: string }[] }[];
    const withFiles = listed.filter((e) => (e.attachments ?? []).length > 0).sort((x, y) => (x.id < y.id ? -1 : 1));
    const [a, b] = withFiles.slice(0, 2).map((e) => ({ id: e.id, file: e.attachments?.[0]?.id ?? '' }));
    const dir = attachmentsDirOf(t.config);
    writeFileSync(join(dir, u.user.id, a?.id ?? '', a?.file ?? ''), randomBytes(30_000));
    rmSync(join(dir, u.user.id, b?.id ?? '', b?.file ?? ''));
    await t.records.stretchSeriesChunk(u.user.id, 0, 1000);
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.attachments.altered).toEqual([{ userId: u.user.id, eventId: a?.id, fileId: a?.file }]);
    expect(report.attachments.missing).toEqual([{ userId: u.user.id, eventId: b?.id, fileId: b?.file }]);
    expect(report.series.problems).toHaveLength(1);
    expect(report.series.problems[0]?.problem).toMatch(/do not match|overlaps/);
  });

  it('--repair maps an unmapped user and removes old orphan files, and nothing else', async () => {
    await t.rqlite.execute([['DELETE FROM users WHERE username = ?', u.username]]);
    const orphan = join(attachmentsDirOf(t.config), u.user.id, 'cgoneevent0000000000000', 'cfile000000000000000000');
    mkdirSync(join(orphan, '..'), { recursive: true });
    writeFileSync(orphan, 'left behind');
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(orphan, old, old);
    const before = await check();
    expect(before.report.platform.unmapped).toEqual([u.username]);
    expect(before.report.attachments.orphans).toEqual([`${u.user.id}/cgoneevent0000000000000/cfile000000000000000000`]);
    const repaired = await check(true);
    expect(repaired.report.repaired).toEqual([`removed orphan file ${u.user.id}/cgoneevent0000000000000/cfile000000000000000000`, `mapped ${u.username} to ${t.config.core.id}`]);
    const after = await check();
    expect(after.report.platform.unmapped).toEqual([]);
    expect(after.report.attachments.orphans).toEqual([]);
    // The altered and missing files and the series stay reported: not safe to repair.
    expect(after.code).toBe(1);
    expect(after.report.attachments.altered).toHaveLength(1);
  });

  it('accesses: stored at create and update (the value the API shows), an edited row is named (exit 1)', async () => {
    const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: object) =>
      t.app.inject({ method, url: `/${u.username}${url}`, headers: { authorization: u.token }, ...(payload === undefined ? {} : { payload }) });
    const created = (await call('POST', '/accesses', { type: 'app', name: 'checked', permissions: [{ streamId: 'diary', level: 'read' }] })).json().access;
    const updated = (await call('PUT', `/accesses/${created.id as string}`, { name: 'checked-2' })).json().access;
    expect(updated.integrity).not.toBe(created.integrity);
    expect((await t.services.stores.accesses.getById(u.user.id, created.id as string))?.integrity).toBe(updated.integrity);
    const history = (await call('GET', `/accesses/${updated.id as string}?includeHistory=true`)).json().history as { integrity: string }[];
    expect(history[0]?.integrity).toBe(created.integrity);
    const before = await check();
    expect(before.report.accesses.mismatches).toEqual([]);
    await t.records.editAccessPermissions(u.user.id, created.id as string, [{ streamId: '*', level: 'manage' }]);
    const { code, report } = await check();
    expect(code).toBe(1);
    expect(report.accesses.mismatches).toEqual([{ userId: u.user.id, accessId: created.id }]);
  });
});
