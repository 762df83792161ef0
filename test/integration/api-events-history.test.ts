import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessIntegrity, eventIntegrity } from '../../src/domain/integrity.js';
import type { Event } from '../../src/domain/types.js';
import { join } from 'node:path';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { filesUnder, multipart } from '../helpers/attachments-fixture.js';
import { attachmentsDirOf } from '../../src/storage/files/attachment-files.js';

/**
 * Event history per config `versioning` (forceKeepHistory, deletionMode), `updates.ignoreProtectedFields`
 * and `integrity` (docs/api.md#event-history, #integrity). One app per configuration; the defaults
 * (all off) are covered by api-events.test.ts.
 */

type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
interface Setup { t: ApiTestApp; u: TestUser }

async function call(s: Setup, method: Verb, path: string, payload?: unknown, token = s.u.token) {
  const res = await s.t.app.inject({ method, url: `/${s.u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}

async function setup(env: Record<string, string>): Promise<Setup> {
  const t = await createApiTestApp(env);
  const u = await t.createUser();
  const s = { t, u };
  expect((await call(s, 'POST', '/streams', { id: 'diary', name: 'Diary' })).status).toBe(201);
  expect((await call(s, 'POST', '/streams', { id: 'other', name: 'Other' })).status).toBe(201);
  return s;
}

/** create (v1) → update content (v2) → trash: the event as it is after each step. */
async function threeVersions(s: Setup): Promise<string> {
  const created = await call(s, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'v1' });
  expect(created.status).toBe(201);
  const id = created.body.event.id as string;
  expect((await call(s, 'PUT', `/events/${id}`, { content: 'v2' })).status).toBe(200);
  expect((await call(s, 'DELETE', `/events/${id}`)).status).toBe(200);
  return id;
}

async function deletionsOf(s: Setup, id: string, token = s.u.token): Promise<Record<string, unknown>[]> {
  const res = await call(s, 'GET', '/events?includeDeletions=true&modifiedSince=0&state=all', undefined, token);
  expect(res.status).toBe(200);
  return (res.body.eventDeletions as Record<string, unknown>[]).filter((d) => d['id'] === id);
}

const HISTORY = { HOMECORE_VERSIONING__FORCE_KEEP_HISTORY: 'true' };
const apps: Setup[] = [];
afterAll(async () => {
  await Promise.all(apps.map((s) => s.t.close()));
});
async function app(env: Record<string, string>): Promise<Setup> {
  const s = await setup(env);
  apps.push(s);
  return s;
}

describe('forceKeepHistory, deletionMode keep-everything', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await app({ ...HISTORY, HOMECORE_VERSIONING__DELETION_MODE: 'keep-everything' });
  });

  it('includeHistory lists every past version, oldest first, under the event id', async () => {
    const id = await threeVersions(s);
    const res = await call(s, 'GET', `/events/${id}?includeHistory=true`);
    expect(res.status).toBe(200);
    expect(res.body.event).toMatchObject({ id, content: 'v2', trashed: true });
    expect(res.body.history.map((v: Event) => [v.id, v.content, v.trashed])).toEqual([[id, 'v1', false], [id, 'v2', false]]);
    expect((await call(s, 'GET', `/events/${id}`)).body).not.toHaveProperty('history');
  });

  it('an access that cannot read the event gets 403, with or without history', async () => {
    const id = await threeVersions(s);
    const other = await s.t.createAccess(s.u, { type: 'app', name: 'other-reader', permissions: [{ streamId: 'other', level: 'read' }] });
    const res = await call(s, 'GET', `/events/${id}?includeHistory=true`, undefined, other.token);
    expect(res.status).toBe(403);
    expect(res.body.error.id).toBe('forbidden');
  });

  it('deleting for good keeps the whole event in eventDeletions; the event itself answers 404', async () => {
    const id = await threeVersions(s);
    const res = await call(s, 'DELETE', `/events/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.eventDeletion).toMatchObject({ id });
    expect((await call(s, 'GET', `/events/${id}?includeHistory=true`)).status).toBe(404);
    const [gone] = await deletionsOf(s, id);
    expect(gone).toMatchObject({ id, content: 'v2', streamIds: ['diary'], type: 'note/txt', trashed: true, deleted: expect.any(Number) });
  });

  it('deleting for good keeps the attached files on disk and their metadata in the deletion (as the reference)', async () => {
    const body = multipart([
      { name: 'event', value: JSON.stringify({ streamIds: ['diary'], type: 'file/attached' }) },
      { name: 'file', filename: 'kept.txt', type: 'text/plain', data: Buffer.from('kept under keep-everything\n') },
    ]);
    const created = await s.t.app.inject({ method: 'POST', url: `/${s.u.username}/events`, headers: { ...body.headers, authorization: s.u.token }, payload: body.payload });
    expect(created.statusCode).toBe(201);
    const { id, attachments } = created.json().event as { id: string; attachments: { id: string; fileName: string }[] };
    const before = filesUnder(join(attachmentsDirOf(s.t.config), s.u.user.id, id));
    expect(before.length).toBeGreaterThan(0);
    expect((await call(s, 'DELETE', `/events/${id}`)).status).toBe(200);
    expect((await call(s, 'DELETE', `/events/${id}`)).status).toBe(200);
    expect(filesUnder(join(attachmentsDirOf(s.t.config), s.u.user.id, id))).toEqual(before);
    const [gone] = await deletionsOf(s, id);
    expect(gone?.['attachments']).toMatchObject([{ id: attachments[0]?.id, fileName: 'kept.txt' }]);
  });

  it('what a deletion kept is shown only to accesses that could read the event', async () => {
    const id = await threeVersions(s);
    expect((await call(s, 'DELETE', `/events/${id}`)).status).toBe(200);
    const reader = await s.t.createAccess(s.u, { type: 'app', name: 'diary-reader', permissions: [{ streamId: 'diary', level: 'read' }] });
    const outsider = await s.t.createAccess(s.u, { type: 'app', name: 'other-only', permissions: [{ streamId: 'other', level: 'read' }] });
    expect((await deletionsOf(s, id, reader.token))[0]).toMatchObject({ id, content: 'v2' });
    expect(await deletionsOf(s, id, outsider.token)).toEqual([{ id, deleted: expect.any(Number) }]);
  });

  it('a streams.delete that deletes events keeps them per the mode too', async () => {
    expect((await call(s, 'POST', '/streams', { id: 'tmp', name: 'Tmp' })).status).toBe(201);
    const id = (await call(s, 'POST', '/events', { streamIds: ['tmp'], type: 'note/txt', content: 'in tmp' })).body.event.id as string;
    expect((await call(s, 'DELETE', '/streams/tmp')).status).toBe(200);
    expect((await call(s, 'DELETE', '/streams/tmp?mergeEventsWithParent=false')).status).toBe(200);
    const [gone] = await deletionsOf(s, id);
    expect(gone).toMatchObject({ id, content: 'in tmp', deleted: expect.any(Number) });
  });
});

describe('forceKeepHistory, deletionMode keep-authors', () => {
  it('deletion and past versions keep only id, modified, modifiedBy', async () => {
    const s = await app({ ...HISTORY, HOMECORE_VERSIONING__DELETION_MODE: 'keep-authors' });
    const id = await threeVersions(s);
    const before = (await call(s, 'GET', `/events/${id}?includeHistory=true`)).body;
    expect(before.history).toHaveLength(2);
    expect((await call(s, 'DELETE', `/events/${id}`)).status).toBe(200);
    const [gone] = await deletionsOf(s, id);
    expect(gone).toEqual({ id, modified: before.event.modified, modifiedBy: before.event.modifiedBy, deleted: expect.any(Number) });
    const reader = await s.t.createAccess(s.u, { type: 'app', name: 'diary-reader', permissions: [{ streamId: 'diary', level: 'read' }] });
    expect(await deletionsOf(s, id, reader.token)).toEqual([{ id, deleted: expect.any(Number) }]);
    const versions = await s.t.services.stores.events.history(s.u.user.id, id);
    expect(versions).toEqual([
      ...before.history.map((v: Event) => ({ id, modified: v.modified, modifiedBy: v.modifiedBy })),
      { id, modified: before.event.modified, modifiedBy: before.event.modifiedBy },
    ]);
  });
});

describe('forceKeepHistory, deletionMode keep-nothing (the default mode)', () => {
  it('deletion erases the versions and keeps {id, deleted}; the id re-created starts with no history', async () => {
    const s = await app(HISTORY);
    const id = await threeVersions(s);
    expect((await call(s, 'GET', `/events/${id}?includeHistory=true`)).body.history).toHaveLength(2);
    expect((await call(s, 'DELETE', `/events/${id}`)).status).toBe(200);
    expect(await deletionsOf(s, id)).toEqual([{ id, deleted: expect.any(Number) }]);
    expect(await s.t.services.stores.events.history(s.u.user.id, id)).toEqual([]);
    expect((await call(s, 'POST', '/events', { id, streamIds: ['diary'], type: 'note/txt', content: 'again' })).status).toBe(201);
    expect((await call(s, 'GET', `/events/${id}?includeHistory=true`)).body.history).toEqual([]);
  });
});

describe('updates.ignoreProtectedFields and integrity on', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await app({ HOMECORE_UPDATES__IGNORE_PROTECTED_FIELDS: 'true', HOMECORE_INTEGRITY__EVENTS: 'true', HOMECORE_INTEGRITY__ACCESSES: 'true' });
  });

  it('events.update drops read-only fields and applies the rest', async () => {
    const created = (await call(s, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'a' })).body.event;
    const res = await call(s, 'PUT', `/events/${created.id}`, { id: 'cabcdefghijklmnopqrstuvwy', created: 1, createdBy: 'x', modifiedBy: 'y', integrity: 'z', content: 'b' });
    expect(res.status).toBe(200);
    expect(res.body.event).toMatchObject({ id: created.id, created: created.created, createdBy: created.createdBy, content: 'b' });
    expect(res.body.event.modifiedBy).not.toBe('y');
    expect(res.body.event.integrity).not.toBe('z');
    expect((await call(s, 'GET', '/events/cabcdefghijklmnopqrstuvwy')).status).toBe(404);
  });

  it('events carry an integrity matching their content, recomputed on each write and listed by events.get', async () => {
    const created = (await call(s, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'c1', clientData: { b: 1, a: 2 } })).body.event as Event;
    expect(created.integrity).toBe(eventIntegrity(created));
    const updated = (await call(s, 'PUT', `/events/${created.id}`, { content: 'c2' })).body.event as Event;
    expect(updated.integrity).toBe(eventIntegrity(updated));
    expect(updated.integrity).not.toBe(created.integrity);
    const trashed = (await call(s, 'DELETE', `/events/${created.id}`)).body.event as Event;
    expect(trashed.integrity).toBe(eventIntegrity(trashed));
    const listed = (await call(s, 'GET', '/events?state=all')).body.events as Event[];
    expect(listed.find((e) => e.id === created.id)?.integrity).toBe(trashed.integrity);
  });

  it('accesses carry an integrity over their API form (lastUsed and apiEndpoint left out)', async () => {
    const res = await call(s, 'POST', '/accesses', { type: 'app', name: 'hashed', permissions: [{ streamId: 'diary', level: 'read' }] });
    expect(res.status).toBe(201);
    const { integrity, apiEndpoint, ...rest } = res.body.access as Record<string, unknown>;
    expect(apiEndpoint).toEqual(expect.any(String));
    expect(integrity).toBe(accessIntegrity(rest));
    const listed = (await call(s, 'GET', '/accesses')).body.accesses as Record<string, unknown>[];
    expect(listed.find((a) => a['id'] === rest['id'])?.['integrity']).toBe(integrity);
  });
});

describe('integrity off (the default)', () => {
  it('events and accesses have no integrity field', async () => {
    const s = await app({});
    const created = (await call(s, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content: 'c1' })).body.event;
    expect(created).not.toHaveProperty('integrity');
    const access = (await call(s, 'POST', '/accesses', { type: 'app', name: 'plain', permissions: [{ streamId: 'diary', level: 'read' }] })).body.access;
    expect(access).not.toHaveProperty('integrity');
    const refused = await call(s, 'PUT', `/events/${created.id}`, { created: 1 });
    expect(refused.status).toBe(403);
  });
});
