import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Read-only fields in streams.update and accesses.update (the reference's fields outside each
 * method's alterableProperties): 403 forbidden by default, dropped with `updates.ignoreProtectedFields`.
 * events.update: api-events-history.test.ts and api-events.test.ts.
 */
let strict: ApiTestApp;
let lenient: ApiTestApp;

beforeAll(async () => {
  strict = await createApiTestApp();
  lenient = await createApiTestApp({ HOMECORE_UPDATES__IGNORE_PROTECTED_FIELDS: 'true' });
});
afterAll(async () => {
  await Promise.all([strict?.close(), lenient?.close()]);
});

type Verb = 'POST' | 'PUT' | 'GET';
async function call(t: ApiTestApp, u: TestUser, method: Verb, path: string, payload?: object) {
  const res = await t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: u.token }, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.json() };
}

async function fixtures(t: ApiTestApp): Promise<{ u: TestUser; stream: Record<string, unknown>; access: Record<string, unknown> }> {
  const u = await t.createUser();
  const stream = (await call(t, u, 'POST', '/streams', { id: 'diary', name: 'Diary' })).body.stream;
  const access = (await call(t, u, 'POST', '/accesses', { type: 'app', name: 'app-1', permissions: [{ streamId: 'diary', level: 'read' }] })).body.access;
  return { u, stream, access };
}

describe('default: 403 forbidden naming the fields, nothing written', () => {
  it('streams.update', async () => {
    const { u } = await fixtures(strict);
    const res = await call(strict, u, 'PUT', '/streams/diary', { name: 'Renamed', created: 1, modifiedBy: 'x', children: [] });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ id: 'forbidden', data: { fields: ['children', 'created', 'modifiedBy'] } });
    const streams = (await call(strict, u, 'GET', '/streams')).body.streams as { name: string }[];
    expect(streams[0]?.name).toBe('Diary');
    expect((await call(strict, u, 'PUT', '/streams/diary', { unknownKey: 1 })).status).toBe(400);
  });

  it('accesses.update', async () => {
    const { u, access } = await fixtures(strict);
    const res = await call(strict, u, 'PUT', `/accesses/${access['id'] as string}`, { name: 'app-2', token: 'stolen', type: 'personal' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ id: 'forbidden', data: { fields: ['token', 'type'] } });
  });
});

describe('updates.ignoreProtectedFields: the fields are dropped, the rest applies', () => {
  it('streams.update', async () => {
    const { u, stream } = await fixtures(lenient);
    const res = await call(lenient, u, 'PUT', '/streams/diary', { name: 'Renamed', id: 'other', created: 1, createdBy: 'x', modifiedBy: 'y' });
    expect(res.status).toBe(200);
    expect(res.body.stream).toMatchObject({ id: 'diary', name: 'Renamed', created: stream['created'], createdBy: stream['createdBy'] });
    expect(res.body.stream.modifiedBy).not.toBe('y');
  });

  it('accesses.update', async () => {
    const { u, access } = await fixtures(lenient);
    const res = await call(lenient, u, 'PUT', `/accesses/${access['id'] as string}`, { name: 'app-2', token: 'stolen', type: 'personal', created: 1 });
    expect(res.status).toBe(200);
    expect(res.body.access).toMatchObject({ name: 'app-2', token: access['token'], type: 'app', created: access['created'] });
    const check = await lenient.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: 'stolen' } });
    expect(check.statusCode).toBe(403);
  });
});
