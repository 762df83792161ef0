import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/** Account streams (docs/api.md#system-streams), with two custom account fields declared in config. */
const CUSTOM_FIELDS = [
  { id: 'insuranceNumber', name: 'Insurance number', type: 'identifier/string', isUnique: true, isIndexed: true, isRequiredInValidation: true, regexValidation: '[A-Z0-9]{6}' },
  { id: 'phone', name: 'Phone', type: 'phone/string', default: 'none' },
  { id: 'secretCode', name: 'Secret code', type: 'code/string', isShown: false },
];

let t: ApiTestApp;
beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_SYSTEM_STREAMS__ACCOUNT: JSON.stringify(CUSTOM_FIELDS) });
});
afterAll(async () => {
  await t?.close();
});

type Payload = Record<string, unknown> | unknown[];
interface StreamJson { id: string; children: StreamJson[] }
interface EventJson { id: string; streamIds: string[]; type: string; content: unknown }

const call = (u: TestUser, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: Payload, token = u.token) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });
const q = (streams: string[]) => `/events?streams=${encodeURIComponent(JSON.stringify(streams))}`;
const ids = (streams: StreamJson[]): string[] => streams.flatMap((s) => [s.id, ...ids(s.children)]);
const insurance = () => `N${randomUsername('').replace(/[^a-z0-9]/g, '').slice(-5).toUpperCase().padStart(5, '0')}`;

/** Registers through `POST /users`, as an app would. */
interface RegistrationAnswer {
  apiEndpoint: string;
  error: { id: string; data: { code: string }[] };
}

async function register(extra: Record<string, unknown>): Promise<{ status: number; body: RegistrationAnswer; user?: TestUser }> {
  const username = randomUsername('sys');
  const res = await t.app.inject({
    method: 'POST',
    url: '/users',
    payload: { username, password: 'secret-pass', email: `${username}@example.test`, appId: 'system-streams-test', ...extra },
  });
  const body = res.json<RegistrationAnswer>();
  if (res.statusCode !== 201) return { status: res.statusCode, body };
  const token = decodeURIComponent(new URL(body.apiEndpoint).username);
  const stored = await t.services.stores.users.getByUsername(username);
  if (stored === null) throw new Error(`user ${username} not stored`);
  return { status: 201, body, user: { username, password: 'secret-pass', token, user: stored } as TestUser };
}

async function registered(): Promise<TestUser & { insuranceNumber: string }> {
  const insuranceNumber = insurance();
  const r = await register({ insuranceNumber });
  expect(r.status).toBe(201);
  return { ...(r.user as TestUser), insuranceNumber };
}

const shared = async (u: TestUser, permissions: unknown[]): Promise<string> => (await t.createAccess(u, { type: 'shared', permissions: permissions as never })).token;

describe('registration with custom account fields', () => {
  it.each([
    ['missing required field', {}, 400, 'insuranceNumber-required'],
    ['value not matching regexValidation', { insuranceNumber: 'abc' }, 400, 'insuranceNumber-invalid'],
    ['non-string value', { insuranceNumber: 123456 }, 400, 'insuranceNumber-invalid'],
  ])('refuses a %s', async (_n, extra, status, code) => {
    const r = await register(extra);
    expect(r.status).toBe(status);
    expect(r.body.error.id).toBe('invalid-parameters-format');
    expect(r.body.error.data.map((d) => d.code)).toContain(code);
  });

  it('reserves unique fields platform-wide: a second account with the same value is 409', async () => {
    const first = await registered();
    const again = await register({ insuranceNumber: first.insuranceNumber });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ id: 'item-already-exists', data: { insuranceNumber: '(taken)' } });
  });

  it('stores the values (defaults applied) and shows them as account events', async () => {
    const u = await registered();
    const res = await call(u, 'GET', q([':_system:account']));
    expect(res.statusCode).toBe(200);
    const byStream = Object.fromEntries((res.json().events as EventJson[]).map((e) => [e.streamIds[0], e]));
    expect(Object.keys(byStream).sort()).toEqual([':_system:attachedFiles', ':_system:dbDocuments', ':_system:language', ':system:email', ':system:insuranceNumber', ':system:phone']);
    expect(byStream[':system:insuranceNumber']).toMatchObject({ id: ':system:insuranceNumber', type: 'identifier/string', content: u.insuranceNumber });
    expect(byStream[':system:phone']?.content).toBe('none');
    expect(byStream[':system:email']).toMatchObject({ type: 'email/string', content: u.user.email });
    expect(byStream[':_system:language']).toMatchObject({ type: 'language/iso-639-1', content: 'en' });
    expect(byStream[':_system:dbDocuments']?.content).toEqual(expect.any(Number));
  });

  it('GET /system/admin/users lists the indexed fields (hidden ones included), not the others', async () => {
    const u = await registered();
    const res = await t.app.inject({ method: 'GET', url: '/system/admin/users', headers: { authorization: 'test-admin-key-0123456789' } });
    const listed = res.json().users.find((x: { username: string }) => x.username === u.username);
    expect(listed).toEqual({ username: u.username, id: u.user.id, email: u.user.email, language: 'en', core: 'test-core', appId: 'system-streams-test', insuranceNumber: u.insuranceNumber });
  });
});

describe('personal access', () => {
  it('streams.get lists the account tree (shown fields only) after the user streams', async () => {
    const u = await registered();
    const res = await call(u, 'GET', '/streams');
    const account = (res.json().streams as StreamJson[]).find((s) => s.id === ':_system:account');
    expect(account).toBeDefined();
    expect(ids(account === undefined ? [] : [account]).sort()).toEqual([
      ':_system:account', ':_system:attachedFiles', ':_system:dbDocuments', ':_system:language', ':_system:storageUsed', ':system:email', ':system:insuranceNumber', ':system:phone',
    ]);
    const children = await call(u, 'GET', `/streams?parentId=${encodeURIComponent(':_system:storageUsed')}`);
    expect(children.json().streams.map((s: StreamJson) => s.id)).toEqual([':_system:attachedFiles', ':_system:dbDocuments']);
  });

  it('events.get leaves account events out unless their streams are named; mixing is refused', async () => {
    const u = await registered();
    expect((await call(u, 'GET', '/events')).json().events).toEqual([]);
    const one = await call(u, 'GET', q([':_system:language']));
    expect(one.json().events.map((e: EventJson) => e.id)).toEqual([':_system:language']);
    const mixed = await call(u, 'GET', q([':_system:language', 'diary']));
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().error.id).toBe('invalid-request-structure');
    const hidden = await call(u, 'GET', q([':_system:appId']));
    expect(hidden.statusCode).toBe(403);
    const excluded = await call(u, 'GET', `/events?streams=${encodeURIComponent(JSON.stringify([{ any: ['*'], not: [':system:email'] }]))}`);
    expect(excluded.statusCode).toBe(200);
    expect(excluded.json().events).toEqual([]);
    const unknown = await call(u, 'GET', q([':system:nothing']));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.id).toBe('unknown-referenced-resource');
  });

  it('events.getOne reads a shown field; hidden ones are 403, unknown ones 404', async () => {
    const u = await registered();
    const res = await call(u, 'GET', `/events/${encodeURIComponent(':_system:language')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().event).toMatchObject({ id: ':_system:language', streamIds: [':_system:language'], content: 'en' });
    expect((await call(u, 'GET', `/events/${encodeURIComponent(':_system:language')}?includeHistory=true`)).json().history).toEqual([]);
    expect((await call(u, 'GET', `/events/${encodeURIComponent(':_system:appId')}`)).statusCode).toBe(403);
    expect((await call(u, 'GET', `/events/${encodeURIComponent(':system:secretCode')}`)).statusCode).toBe(403);
    expect((await call(u, 'GET', `/events/${encodeURIComponent(':system:nothing')}`)).statusCode).toBe(404);
  });

  it('events.create in an editable field sets its value (type forced), seen by account.get', async () => {
    const u = await registered();
    const res = await call(u, 'POST', '/events', { streamIds: [':_system:language'], type: 'note/txt', content: 'fr' });
    expect(res.statusCode).toBe(201);
    expect(res.json().event).toMatchObject({ id: ':_system:language', type: 'language/iso-639-1', content: 'fr' });
    expect((await call(u, 'GET', '/account')).json().account.language).toBe('fr');
    const events = (await call(u, 'GET', q([':_system:language']))).json().events;
    expect(events).toHaveLength(1);
    expect(events[0].content).toBe('fr');
  });

  it('an email change through its event moves the platform-wide reservation; a taken one is 409', async () => {
    const u = await registered();
    const other = await registered();
    const taken = await call(u, 'POST', '/events', { streamIds: [':system:email'], type: 'email/string', content: other.user.email });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ id: 'item-already-exists', data: { email: other.user.email } });
    const email = `${randomUsername('mail')}@example.test`;
    const res = await call(u, 'PUT', `/events/${encodeURIComponent(':system:email')}`, { content: email });
    expect(res.statusCode).toBe(200);
    expect((await call(u, 'GET', '/account')).json().account.email).toBe(email);
    expect((await t.app.inject({ method: 'GET', url: `/reg/${email}/uid` })).json()).toMatchObject({ uid: u.username });
    expect((await t.app.inject({ method: 'GET', url: `/reg/${u.user.email}/check_email` })).json()).toMatchObject({ reserved: false });
  });

  it('account.update moves the language event, so a modifiedSince sync sees the change', async () => {
    const u = await registered();
    const before = (await call(u, 'GET', `/events/${encodeURIComponent(':_system:language')}`)).json().event;
    const since = Date.now() / 1000;
    expect((await call(u, 'PUT', '/account', { language: 'it' })).statusCode).toBe(200);
    const changed = (await call(u, 'GET', `${q([':_system:account'])}&modifiedSince=${since}`)).json().events as (EventJson & { created: number; modifiedBy: string })[];
    expect(changed.find((e) => e.id === ':_system:language')).toMatchObject({ content: 'it', created: before.created });
    expect(changed.map((e) => e.id)).not.toContain(':system:email');
  });

  it('custom unique fields: format checked, uniqueness enforced on update', async () => {
    const u = await registered();
    const other = await registered();
    const path = `/events/${encodeURIComponent(':system:insuranceNumber')}`;
    const bad = await call(u, 'PUT', path, { content: 'lower' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.id).toBe('invalid-parameters-format');
    const taken = await call(u, 'PUT', path, { content: other.insuranceNumber });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.data).toEqual({ insuranceNumber: other.insuranceNumber });
    const fresh = insurance();
    expect((await call(u, 'PUT', path, { content: fresh })).statusCode).toBe(200);
    // The old value is free again, the new one taken.
    expect((await register({ insuranceNumber: u.insuranceNumber })).status).toBe(201);
    expect((await register({ insuranceNumber: fresh })).status).toBe(409);
  });

  it.each([
    ['a read-only field', { streamIds: [':_system:dbDocuments'], type: 'data-quantity/b', content: 1 }, 400, 'invalid-operation'],
    ['a container stream', { streamIds: [':_system:account'], type: 'note/txt', content: 'x' }, 400, 'invalid-operation'],
    ['two account streams', { streamIds: [':_system:language', ':system:phone'], type: 'note/txt', content: 'x' }, 400, 'invalid-operation'],
    ['a hidden field', { streamIds: [':_system:appId'], type: 'note/txt', content: 'x' }, 403, 'forbidden'],
    ['an invalid email', { streamIds: [':system:email'], type: 'email/string', content: 'not-an-email' }, 400, 'invalid-parameters-format'],
    ['a value over 4096 characters', { streamIds: [':system:phone'], type: 'phone/string', content: 'x'.repeat(5000) }, 400, 'invalid-parameters-format'],
    ['no content', { streamIds: [':system:phone'], type: 'phone/string' }, 400, 'invalid-parameters-format'],
  ])('events.create refuses %s', async (_n, payload, status, id) => {
    const u = await registered();
    const res = await call(u, 'POST', '/events', payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe(id);
  });

  it('events.update cannot move an account event; events.delete is refused', async () => {
    const u = await registered();
    const move = await call(u, 'PUT', `/events/${encodeURIComponent(':system:phone')}`, { streamIds: [':system:email'] });
    expect(move.statusCode).toBe(400);
    expect(move.json().error.id).toBe('invalid-operation');
    const del = await call(u, 'DELETE', `/events/${encodeURIComponent(':_system:language')}`);
    expect(del.statusCode).toBe(400);
    expect(del.json().error.id).toBe('invalid-operation');
    expect((await call(u, 'GET', '/account')).json().account.language).toBe('en');
  });

  it('streams whose id starts with ":" still cannot be created', async () => {
    const u = await registered();
    const res = await call(u, 'POST', '/streams', { id: ':system:mine', name: 'Mine' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-item-id');
  });
});

describe('non-personal accesses', () => {
  it('"*" never reaches the account streams (implicit none)', async () => {
    const u = await registered();
    const token = await shared(u, [{ streamId: '*', level: 'manage' }]);
    expect(ids((await call(u, 'GET', '/streams', undefined, token)).json().streams).filter((id) => id.startsWith(':'))).toEqual([]);
    expect((await call(u, 'GET', q([':system:email']), undefined, token)).statusCode).toBe(403);
    expect((await call(u, 'GET', `/events/${encodeURIComponent(':system:email')}`, undefined, token)).statusCode).toBe(403);
    const write = await call(u, 'POST', '/events', { streamIds: [':system:email'], type: 'email/string', content: 'x@example.test' }, token);
    expect(write.statusCode).toBe(403);
    expect((await call(u, 'DELETE', `/events/${encodeURIComponent(':system:email')}`, undefined, token)).statusCode).toBe(403);
  });

  it('read on :_system:account lists and reads every shown field, writes nothing', async () => {
    const u = await registered();
    const token = await shared(u, [{ streamId: ':_system:account', level: 'read' }]);
    const streams = (await call(u, 'GET', '/streams', undefined, token)).json().streams as StreamJson[];
    expect(streams.map((s) => s.id)).toEqual([':_system:account']);
    const events = (await call(u, 'GET', q([':_system:account']), undefined, token)).json().events as EventJson[];
    expect(events.map((e) => e.id)).toContain(':system:insuranceNumber');
    expect(events.map((e) => e.id)).not.toContain(':_system:appId');
    const write = await call(u, 'PUT', `/events/${encodeURIComponent(':system:phone')}`, { content: '123' }, token);
    expect(write.statusCode).toBe(403);
  });

  it('contribute on one field: sees only it, may change it; a none mask below a read grant hides a field', async () => {
    const u = await registered();
    const token = await shared(u, [{ streamId: ':system:phone', level: 'contribute' }]);
    expect((await call(u, 'GET', '/streams', undefined, token)).json().streams.map((s: StreamJson) => s.id)).toEqual([':system:phone']);
    const res = await call(u, 'PUT', `/events/${encodeURIComponent(':system:phone')}`, { content: '+41 00 000' }, token);
    expect(res.statusCode).toBe(200);
    expect(res.json().event.modifiedBy).not.toBe('system');
    const masked = await shared(u, [{ streamId: ':_system:account', level: 'read' }, { streamId: ':system:email', level: 'none' }]);
    const events = (await call(u, 'GET', q([':_system:account']), undefined, masked)).json().events as EventJson[];
    expect(events.map((e) => e.id)).not.toContain(':system:email');
    expect((await call(u, 'GET', q([':system:email']), undefined, masked)).statusCode).toBe(403);
  });

  it.each([
    ['a hidden field', [{ streamId: ':_system:appId', level: 'read' }], 400],
    ['an unknown account stream', [{ streamId: ':system:nothing', level: 'read' }], 400],
    ['manage on an account stream', [{ streamId: ':system:email', level: 'manage' }], 400],
  ])('accesses.create refuses a permission on %s', async (_n, permissions, status) => {
    const u = await registered();
    const res = await call(u, 'POST', '/accesses', { name: `a-${randomUsername()}`, type: 'shared', permissions });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe('invalid-parameters-format');
  });

  it('accesses.checkApp names account streams by their field and refuses hidden ones', async () => {
    const u = await registered();
    const check = (requestedPermissions: unknown[]) => call(u, 'POST', '/accesses/check-app', { requestingAppId: 'consent-app', requestedPermissions });
    const res = await check([{ streamId: ':system:email', level: 'read', defaultName: 'My email' }]);
    expect(res.statusCode).toBe(200);
    expect(res.json().checkedPermissions).toEqual([{ streamId: ':system:email', level: 'read', name: 'Email' }]);
    expect(res.json().error).toBeUndefined();
    expect((await check([{ streamId: ':_system:referer', level: 'read', defaultName: 'Referer' }])).statusCode).toBe(400);
  });

  it('an app may grant on account streams only what it holds there ("*" does not count)', async () => {
    const u = await registered();
    const app = (await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'manage' }, { streamId: ':system:phone', level: 'read' }] })).token;
    const over = await call(u, 'POST', '/accesses', { name: 'child-1', type: 'shared', permissions: [{ streamId: ':system:email', level: 'read' }] }, app);
    expect(over.statusCode).toBe(403);
    const ok = await call(u, 'POST', '/accesses', { name: 'child-2', type: 'shared', permissions: [{ streamId: ':system:phone', level: 'read' }] }, app);
    expect(ok.statusCode).toBe(201);
  });
});
