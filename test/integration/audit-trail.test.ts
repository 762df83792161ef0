import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLine } from '../../src/audit/audit-line.js';
import { readAuditLines } from '../../src/audit/audit-reader.js';
import { auditDirOf } from '../../src/audit/audit-dir.js';
import { runAuditCli } from '../../src/cli/audit.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * The audit trail (issue #12): a line per call of every method family, with who, what, outcome and
 * from where; read back through events.get on `:_audit:` streams with Pryv.io v2's rules, and by
 * bin/audit's code. The unwritable path and audit.syncWrites are in audit-failure.test.ts.
 */

let t: ApiTestApp;
let u: TestUser;
const UA = 'audit-test/1.0';
beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
});
afterAll(async () => {
  await t?.close();
});

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
async function call(token: string | null, method: Verb, path: string, payload?: unknown, user = u) {
  const headers: Record<string, string> = { 'user-agent': UA, origin: 'http://127.0.0.1:3000' };
  if (token !== null) headers['authorization'] = token;
  const res = await t.app.inject({ method, url: `/${user.username}${path}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> & { error?: { id: string } }, text: res.body };
}

async function lines(filter: Partial<Parameters<typeof readAuditLines>[1]> = {}): Promise<AuditLine[]> {
  await t.services.audit?.flushAll();
  const out: AuditLine[] = [];
  for await (const l of readAuditLines(auditDirOf(t.config), { user: u.username, from: 0, to: Date.now() / 1000 + 1, ...filter })) out.push(l);
  return out;
}

describe('audit lines, one per call of every method family', () => {
  it('records who, what, which resources, the outcome and from where', async () => {
    const P = u.token;
    const stream = await call(P, 'POST', '/streams', { id: 'audited', name: 'Audited' });
    expect(stream.status).toBe(201);
    const ev = await call(P, 'POST', '/events', { streamIds: ['audited'], type: 'note/txt', content: 'private words' });
    expect(ev.status).toBe(201);
    const eventId = (ev.body['event'] as { id: string }).id;
    const series = await call(P, 'POST', '/events', { streamIds: ['audited'], type: 'series:mass/kg' });
    const seriesId = (series.body['event'] as { id: string }).id;
    const steps: [Verb, string, unknown?][] = [
      ['GET', '/streams'],
      ['PUT', `/streams/audited`, { name: 'Audited 2' }],
      ['GET', `/events/${eventId}`],
      ['PUT', `/events/${eventId}`, { content: 'other words' }],
      ['GET', '/events?streams[]=audited'],
      ['POST', '/accesses', { name: 'reader', permissions: [{ streamId: 'audited', level: 'read' }] }],
      ['GET', '/accesses'],
      ['GET', '/account'],
      ['PUT', '/account', { language: 'fr' }],
      ['GET', '/profile/private'],
      ['PUT', '/profile/private', { phone: '+41' }],
      ['GET', '/webhooks'],
      ['POST', `/events/${seriesId}/series`, { format: 'flatJSON', fields: ['deltaTime', 'value'], points: [[0, 1]] }],
      ['GET', `/events/${seriesId}/series`],
      ['POST', '/', [{ method: 'streams.get', params: {} }, { method: 'events.get', params: { streams: ['nope'] } }]],
      ['DELETE', `/events/${eventId}`],
      ['GET', '/events/missing-event'],
    ];
    for (const [verb, path, body] of steps) {
      const r = await call(P, verb, path, body);
      expect(r.status, `${verb} ${path} ${r.text}`).toBeLessThan(path === '/events/missing-event' ? 500 : 300);
    }
    const login = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/auth/login`,
      headers: { origin: 'http://127.0.0.1:3000', 'user-agent': UA },
      payload: { username: u.username, password: u.password, appId: 'audit-app' },
    });
    expect(login.statusCode).toBe(200);

    const all = await lines();
    const methods = all.map((l) => l.method);
    for (const m of [
      'streams.create', 'events.create', 'streams.get', 'streams.update', 'events.getOne', 'events.update', 'events.get',
      'accesses.create', 'accesses.get', 'account.get', 'account.update', 'profile.get', 'profile.update', 'webhooks.get',
      'series.add', 'series.get', 'events.delete', 'auth.login',
    ]) {
      expect(methods, m).toContain(m);
    }
    const created = all.find((l) => l.method === 'events.create' && l.resources.includes(eventId));
    expect(created).toMatchObject({ user: u.username, status: 201, error: null, ip: '127.0.0.1', userAgent: UA, transport: 'http' });
    expect(created?.accessId).toEqual(expect.any(String));
    expect(created?.resources).toEqual(['audited', eventId]);
    // Content never reaches the trail.
    expect(JSON.stringify(all)).not.toContain('private words');
    // Batch calls: one line each, marked batch, the refused one with its error id.
    const batch = all.filter((l) => l.transport === 'batch');
    expect(batch.map((l) => [l.method, l.status, l.error])).toEqual([['streams.get', 200, null], ['events.get', 400, 'unknown-referenced-resource']]);
    const missing = all.find((l) => l.method === 'events.getOne' && l.resources.includes('missing-event'));
    expect(missing).toMatchObject({ status: 404, error: 'unknown-resource' });
    expect(all.find((l) => l.method === 'series.add')).toMatchObject({ status: 200, resources: [seriesId] });
  });

  it('an acknowledged write has its line in the file when the answer arrives (no flush needed)', async () => {
    const r = await call(u.token, 'POST', '/streams', { id: 'durable', name: 'Durable' });
    expect(r.status).toBe(201);
    const onDisk: AuditLine[] = [];
    for await (const l of readAuditLines(auditDirOf(t.config), { user: u.username, from: 0, to: Date.now() / 1000 + 1, methods: ['streams.create'] })) onDisk.push(l);
    expect(onDisk.some((l) => l.resources.includes('durable'))).toBe(true);
    // A batch's writes: in the file when the batch answers (one write at its end).
    const batch = await call(u.token, 'POST', '/', [{ method: 'events.create', params: { streamIds: ['durable'], type: 'note/txt', content: 'b' } }]);
    expect(batch.status).toBe(200);
    const eventId = ((batch.body['results'] as { event: { id: string } }[])[0] as { event: { id: string } }).event.id;
    const batchOnDisk: AuditLine[] = [];
    for await (const l of readAuditLines(auditDirOf(t.config), { user: u.username, from: 0, to: Date.now() / 1000 + 1, methods: ['events.create'] })) batchOnDisk.push(l);
    expect(batchOnDisk.find((l) => l.resources.includes(eventId))).toMatchObject({ transport: 'batch', status: 201 });
  });

  it('a call refused by the permission gate is recorded with its error id', async () => {
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: 'audited', level: 'read' }] });
    const r = await call(app.token, 'GET', '/account');
    expect(r.status).toBe(403);
    const [line] = await lines({ accessIds: [app.id] });
    expect(line).toMatchObject({ method: 'account.get', status: 403, error: 'forbidden', accessId: app.id });
  });
});

describe('Socket.IO calls', () => {
  it('are recorded with transport socket.io; a write\'s line is in the file when the ack arrives', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const socket = io(`${base}/${u.username}/${u.username}`, {
      forceNew: true, reconnection: false, transports: ['websocket'], query: { auth: u.token }, extraHeaders: { 'user-agent': UA },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const ack = await new Promise<unknown[]>((resolve) => socket.emit('streams.create', { id: 'by-socket', name: 'By socket' }, (...a: unknown[]) => resolve(a)));
      expect(ack[0]).toBeNull();
      const onDisk: AuditLine[] = [];
      for await (const l of readAuditLines(auditDirOf(t.config), { user: u.username, from: 0, to: Date.now() / 1000 + 1, methods: ['streams.create'] })) onDisk.push(l);
      expect(onDisk.find((l) => l.resources.includes('by-socket'))).toMatchObject({ transport: 'socket.io', status: 201, userAgent: UA, ip: '127.0.0.1' });
    } finally {
      socket.close();
    }
  });
});

describe('events.get on :_audit: streams', () => {
  const auditEvents = async (token: string, query: string) => {
    // Lines of reads are buffered up to audit.flushIntervalMs: written out before reading them back.
    await t.services.audit?.flushAll();
    const r = await call(token, 'GET', `/events?${query}`);
    return { status: r.status, events: (r.body['events'] ?? []) as { id: string; streamIds: string[]; type: string; time: number; content: Record<string, unknown> }[], error: r.body.error };
  };

  it('a personal access reads every line of its user, newest first, with time, type and action filters', async () => {
    const before = Date.now() / 1000;
    await call(u.token, 'GET', '/streams');
    const all = await auditEvents(u.token, `streams[]=:_audit:&fromTime=${before - 0.001}`);
    expect(all.status).toBe(200);
    expect(all.events.length).toBeGreaterThanOrEqual(1);
    const first = all.events.find((e) => e.content['action'] === 'streams.get');
    expect(first).toMatchObject({ type: 'audit-log/pryv-api', content: { source: { name: 'http', ip: '127.0.0.1', userAgent: UA }, status: 200 } });
    expect(first?.id.startsWith(':_audit:')).toBe(true);
    expect(first?.streamIds).toEqual([expect.stringMatching(/^:_audit:access-/), ':_audit:action-streams.get']);
    const times = all.events.map((e) => e.time);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The action stream and the type filter.
    const actions = await auditEvents(u.token, 'streams[]=:_audit:action-events.create&fromTime=0');
    expect(actions.events.length).toBeGreaterThanOrEqual(2);
    expect(new Set(actions.events.map((e) => e.content['action']))).toEqual(new Set(['events.create']));
    expect((await auditEvents(u.token, 'streams[]=:_audit:&fromTime=0&types[]=note/txt')).events).toEqual([]);
    expect((await auditEvents(u.token, 'streams[]=:_audit:&fromTime=0&types[]=audit-log/*&limit=1')).events).toHaveLength(1);
    // A time window after every line: nothing.
    expect((await auditEvents(u.token, `streams[]=:_audit:&fromTime=${Date.now() / 1000 + 60}`)).events).toEqual([]);
  });

  it('an app access reads only its own lines; another access\'s stream is 403; selfAudit forbidden is 403', async () => {
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: 'audited', level: 'read' }] });
    const other = await t.createAccess(u, { type: 'app', permissions: [{ streamId: 'audited', level: 'read' }] });
    await call(app.token, 'GET', '/streams');
    await call(other.token, 'GET', '/streams');
    const own = await auditEvents(app.token, 'streams[]=:_audit:&fromTime=0');
    expect(own.status).toBe(200);
    expect(own.events.length).toBeGreaterThanOrEqual(1);
    expect(new Set(own.events.flatMap((e) => e.streamIds.filter((s) => s.startsWith(':_audit:access-'))))).toEqual(new Set([`:_audit:access-${app.id}`]));
    expect((await auditEvents(app.token, `streams[]=:_audit:access-${app.id}&fromTime=0`)).events.length).toBeGreaterThanOrEqual(1);
    const refused = await auditEvents(app.token, `streams[]=:_audit:access-${other.id}&fromTime=0`);
    expect([refused.status, refused.error?.id]).toEqual([403, 'forbidden']);
    // The personal access reads the other access's lines.
    const personal = await auditEvents(u.token, `streams[]=:_audit:access-${other.id}&fromTime=0`);
    expect(personal.events.map((e) => e.content['action'])).toContain('streams.get');
    const muted = await t.createAccess(u, { type: 'app', permissions: [{ streamId: 'audited', level: 'read' }, { feature: 'selfAudit', setting: 'forbidden' }] });
    const forbidden = await auditEvents(muted.token, 'streams[]=:_audit:&fromTime=0');
    expect([forbidden.status, forbidden.error?.id]).toEqual([403, 'forbidden']);
  });

  it('refuses audit streams mixed with others, and unknown audit streams', async () => {
    const mixed = await auditEvents(u.token, 'streams[]=:_audit:&streams[]=audited');
    expect([mixed.status, mixed.error?.id]).toEqual([400, 'invalid-request-structure']);
    const unknown = await auditEvents(u.token, 'streams[]=:_audit:nope');
    expect([unknown.status, unknown.error?.id]).toEqual([400, 'unknown-referenced-resource']);
  });
});

describe('user deletion (admin route)', () => {
  it('is recorded as users.delete, in the file when it answers', async () => {
    const gone = await t.createUser();
    const r = await t.app.inject({ method: 'DELETE', url: `/users/${gone.username}`, headers: { authorization: 'test-admin-key-0123456789', 'user-agent': UA } });
    expect(r.statusCode, r.body).toBe(200);
    const onDisk: AuditLine[] = [];
    for await (const l of readAuditLines(auditDirOf(t.config), { user: gone.username, from: 0, to: Date.now() / 1000 + 1 })) onDisk.push(l);
    expect(onDisk.map((l) => [l.method, l.status, l.accessId, l.userAgent])).toEqual([['users.delete', 200, null, UA]]);
    // A new user of the same name never reads the former one's lines (the API reads by user id).
    const again = await t.createUser({ username: gone.username });
    const r2 = await call(again.token, 'GET', '/events?streams[]=:_audit:&fromTime=0', undefined, again);
    expect(r2.status).toBe(200);
    expect((r2.body['events'] as { content: { action: string } }[]).map((e) => e.content.action)).not.toContain('users.delete');
  });
});

describe('bin/audit (runAuditCli)', () => {
  it('prints the lines of one user in a time range, and filters by method', async () => {
    const out: string[] = [];
    await t.services.audit?.flushAll();
    const n = await runAuditCli(t.config, { user: u.username, from: '0', method: 'streams.create' }, (l) => out.push(l));
    // streams "audited", "durable" and "by-socket" (the tests above).
    expect(n).toBe(3);
    expect(out.map((l) => JSON.parse(l) as AuditLine).map((l) => [l.user, l.method, l.status, l.resources])).toEqual([
      [u.username, 'streams.create', 201, ['audited']],
      [u.username, 'streams.create', 201, ['durable']],
      [u.username, 'streams.create', 201, ['by-socket']],
    ]);
    const none: string[] = [];
    expect(await runAuditCli(t.config, { user: u.username, from: '2000-01-01', to: '2000-01-02' }, (l) => none.push(l))).toBe(0);
  });
});
