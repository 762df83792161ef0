import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../src/domain/types.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Granting audit streams (docs/api.md#audit-trail), as Pryv.io v2 does: a personal access gives an
 * access `{streamId: ":_audit:access-X", level: "read"}`, which then reads X's lines; an app may pass
 * on only what it reads itself; `*` never reaches audit streams; every path (HTTP, batch, update,
 * revocation) checks the permission.
 */

let t: ApiTestApp;
let u: TestUser;
let target: Access;
let third: Access;
beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
  await call(u.token, 'POST', '/streams', { id: 'diary', name: 'Diary' });
  target = await t.createAccess(u, { type: 'app', name: 'target', permissions: [{ streamId: 'diary', level: 'manage' }] });
  third = await t.createAccess(u, { type: 'app', name: 'third', permissions: [{ streamId: '*', level: 'manage' }] });
  expect((await call(target.token, 'GET', '/streams')).status).toBe(200);
  expect((await call(target.token, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'x' })).status).toBe(201);
  expect((await call(third.token, 'GET', '/streams')).status).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function call(token: string, method: Verb, path: string, payload?: unknown) {
  const res = await t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> & { error?: { id: string; data?: unknown } } };
}
type AuditEvent = { streamIds: string[]; content: { action: string } };
async function audit(token: string, streams: string[]) {
  await t.services.audit?.flushAll();
  const r = await call(token, 'GET', `/events?${streams.map((s) => `streams[]=${encodeURIComponent(s)}`).join('&')}&fromTime=0&limit=1000`);
  return { status: r.status, error: r.body.error?.id, events: (r.body['events'] ?? []) as AuditEvent[] };
}
/** The accesses whose calls the lines are of. */
const accessesOf = (events: AuditEvent[]) => new Set(events.flatMap((e) => e.streamIds.filter((s) => s.startsWith(':_audit:access-')).map((s) => s.slice(15))));
const grant = (id: string) => ({ streamId: `:_audit:access-${id}`, level: 'read' });
async function create(token: string, name: string, permissions: unknown[], type: 'app' | 'shared' = 'app') {
  return call(token, 'POST', '/accesses', { name, type, permissions });
}

describe('a personal access grants read on :_audit:access-X', () => {
  it('the grantee reads X\'s lines (and its own), never a third access\'s', async () => {
    const r = await create(u.token, 'auditor', [grant(target.id)]);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const auditor = r.body['access'] as { id: string; token: string; permissions: unknown[] };
    expect(auditor.permissions).toEqual([grant(target.id)]);
    const ofTarget = await audit(auditor.token, [`:_audit:access-${target.id}`]);
    expect(ofTarget.status).toBe(200);
    expect(ofTarget.events.map((e) => e.content.action)).toEqual(expect.arrayContaining(['streams.get', 'events.create']));
    expect(accessesOf(ofTarget.events)).toEqual(new Set([target.id]));
    // `:_audit:` and an action stream: narrowed to the target's lines and its own.
    const all = await audit(auditor.token, [':_audit:']);
    expect(all.status).toBe(200);
    expect(accessesOf(all.events)).toEqual(new Set([target.id, auditor.id]));
    const action = await audit(auditor.token, [':_audit:action-streams.get']);
    expect(accessesOf(action.events)).toEqual(new Set([target.id]));
    const denied = await audit(auditor.token, [`:_audit:access-${third.id}`]);
    expect([denied.status, denied.error]).toEqual([403, 'forbidden']);
    // The same rules through a batch call.
    const batch = await t.app.inject({
      method: 'POST', url: `/${u.username}/`, headers: { authorization: auditor.token },
      payload: [{ method: 'events.get', params: { streams: [`:_audit:access-${target.id}`], fromTime: 0 } }, { method: 'events.get', params: { streams: [`:_audit:access-${third.id}`], fromTime: 0 } }],
    });
    const [ok, refused] = batch.json().results as [{ events: AuditEvent[] }, { error: { id: string } }];
    expect(accessesOf(ok.events)).toEqual(new Set([target.id]));
    expect(refused.error.id).toBe('forbidden');
  });

  it('with selfAudit forbidden, the grantee reads the granted access only; with neither, nothing', async () => {
    const r = await create(u.token, 'muted-auditor', [grant(target.id), { feature: 'selfAudit', setting: 'forbidden' }]);
    expect(r.status).toBe(201);
    const muted = r.body['access'] as { id: string; token: string };
    expect((await audit(muted.token, [`:_audit:access-${target.id}`])).status).toBe(200);
    expect(accessesOf((await audit(muted.token, [':_audit:'])).events)).toEqual(new Set([target.id]));
    const own = await audit(muted.token, [`:_audit:access-${muted.id}`]);
    expect([own.status, own.error]).toEqual([403, 'forbidden']);
    const none = (await create(u.token, 'no-audit', [{ streamId: 'diary', level: 'read' }, { feature: 'selfAudit', setting: 'forbidden' }])).body['access'] as { token: string };
    const refused = await audit(none.token, [':_audit:']);
    expect([refused.status, refused.error]).toEqual([403, 'forbidden']);
  });

  it('given by accesses.update, and lost by it at once', async () => {
    const r = await create(u.token, 'later-auditor', [{ streamId: 'diary', level: 'read' }]);
    const later = r.body['access'] as { id: string; token: string };
    expect((await audit(later.token, [`:_audit:access-${target.id}`])).status).toBe(403);
    const up = await call(u.token, 'PUT', `/accesses/${later.id}`, { permissions: [{ streamId: 'diary', level: 'read' }, grant(target.id)] });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect((await audit(later.token, [`:_audit:access-${target.id}`])).status).toBe(200);
    const id1 = (up.body['access'] as { id: string }).id;
    expect((await call(u.token, 'PUT', `/accesses/${id1}`, { permissions: [{ streamId: 'diary', level: 'read' }] })).status).toBe(200);
    expect((await audit(later.token, [`:_audit:access-${target.id}`])).status).toBe(403);
  });

  it.each([
    ['an action stream', { streamId: ':_audit:action-events.get', level: 'read' }],
    ['the root', { streamId: ':_audit:', level: 'read' }],
    ['another level than read', { streamId: ':_audit:access-abc', level: 'manage' }],
    ['an empty access id', { streamId: ':_audit:access-', level: 'read' }],
  ])('refuses %s: 400 invalid-parameters-format', async (_name, permission) => {
    const r = await create(u.token, `bad-${Math.random()}`, [permission]);
    expect([r.status, r.body.error?.id]).toEqual([400, 'invalid-parameters-format']);
  });
});

describe('an app access passes on only the audit it reads itself', () => {
  it('grants its own audit stream to a shared access it creates; not another access\'s, even holding *', async () => {
    const mine = await create(target.token, 'target-auditor', [grant(target.id)], 'shared');
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    const shared = mine.body['access'] as { token: string };
    expect(accessesOf((await audit(shared.token, [`:_audit:access-${target.id}`])).events)).toEqual(new Set([target.id]));
    const other = await create(target.token, 'target-steals', [{ streamId: 'diary', level: 'read' }, grant(third.id)], 'shared');
    expect([other.status, other.body.error?.id]).toEqual([403, 'forbidden']);
    // `*` manage does not reach audit streams.
    const star = await create(third.token, 'third-steals', [grant(target.id)], 'shared');
    expect([star.status, star.body.error?.id]).toEqual([403, 'forbidden']);
  });

  it('an app granted another access\'s audit may pass it on, and may not keep children beyond it', async () => {
    const app = (await create(u.token, 'delegating-auditor', [{ streamId: 'diary', level: 'read' }, grant(target.id)])).body['access'] as { id: string; token: string };
    const child = await create(app.token, 'delegated', [grant(target.id)], 'shared');
    expect(child.status, JSON.stringify(child.body)).toBe(201);
    // Narrowing the app below its child's grant is refused until the child goes.
    const narrowed = await call(u.token, 'PUT', `/accesses/${app.id}`, { permissions: [{ streamId: 'diary', level: 'read' }] });
    expect([narrowed.status, narrowed.body.error?.id]).toEqual([400, 'invalid-operation']);
  });
});
