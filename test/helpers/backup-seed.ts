import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { rqliteAuthFile, writeRqliteAuth } from '../../src/secrets/rqlite-auth.js';
import type { ApiTestApp, TestUser } from './api-app.js';

/**
 * Seeds and reads back a user's data through the API for the backup/restore tests: streams (nested),
 * events (updated, trashed, deleted), attachments, a series of 2,500 points, an app access, a
 * webhook and the private profile.
 */
export async function api(t: ApiTestApp, u: TestUser, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown, token = u.token) {
  const res = await t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, raw: res.rawPayload };
}

function multipart(event: unknown, files: { name: string; data: Buffer }[]): { payload: Buffer; headers: Record<string, string> } {
  const b = `----bk${randomBytes(6).toString('hex')}`;
  const parts: Buffer[] = [Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="event"\r\n\r\n${JSON.stringify(event)}\r\n`)];
  for (const f of files) {
    parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${b}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

export async function createEvent(t: ApiTestApp, u: TestUser, content: string): Promise<string> {
  const res = await api(t, u, 'POST', '/events', { streamIds: ['diary'], type: 'note/txt', content });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body.event as { id: string }).id;
}

export async function seedUser(t: ApiTestApp, u: TestUser, events: number): Promise<void> {
  for (const s of [{ id: 'diary', name: 'Diary' }, { id: 'health', name: 'Health' }, { id: 'weight', name: 'Weight', parentId: 'health' }]) {
    expect((await api(t, u, 'POST', '/streams', s)).status).toBe(201);
  }
  for (let i = 0; i < events; i += 1) await createEvent(t, u, `note ${i}`);
  const updated = await createEvent(t, u, 'first version');
  expect((await api(t, u, 'PUT', `/events/${updated}`, { content: 'second version' })).status).toBe(200);
  const trashed = await createEvent(t, u, 'to trash');
  expect((await api(t, u, 'DELETE', `/events/${trashed}`)).status).toBe(200);
  const deleted = await createEvent(t, u, 'to delete');
  expect((await api(t, u, 'DELETE', `/events/${deleted}`)).status).toBe(200);
  expect((await api(t, u, 'DELETE', `/events/${deleted}`)).status).toBe(200);
  for (let i = 0; i < 2; i += 1) {
    const body = multipart({ streamIds: ['diary'], type: 'picture/attached' }, [
      { name: `a${i}.bin`, data: randomBytes(30_000 + i) }, { name: 'same.bin', data: Buffer.alloc(5000, 7) },
    ]);
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: { authorization: u.token, ...body.headers }, payload: body.payload });
    expect(res.statusCode, res.body).toBe(201);
  }
  const holder = await api(t, u, 'POST', '/events', { streamIds: ['weight'], type: 'series:mass/kg', time: Date.now() / 1000 - 86_400 });
  expect(holder.status).toBe(201);
  const hid = (holder.body.event as { id: string }).id;
  for (let b = 0; b < 5; b += 1) {
    const points = Array.from({ length: 500 }, (_, i) => [b * 500 + i, 70 + ((b * 500 + i) % 13) / 10]);
    expect((await api(t, u, 'POST', `/events/${hid}/series`, { format: 'flatJSON', fields: ['deltaTime', 'value'], points })).status).toBe(200);
  }
  const access = await api(t, u, 'POST', '/accesses', { type: 'app', name: 'reader', permissions: [{ streamId: 'diary', level: 'contribute' }] });
  expect(access.status, JSON.stringify(access.body)).toBe(201);
  const appToken = (access.body.access as { token: string }).token;
  expect((await api(t, u, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/hook' }, appToken)).status).toBe(201);
  expect((await api(t, u, 'PUT', '/profile/private', { language: 'fr', note: 'kept' })).status).toBe(200);
}

type Json = Record<string, unknown>;
const noMeta = (b: Json): Json => {
  const { meta: _meta, ...rest } = b;
  return rest;
};

/** Usage and delivery counters move on by themselves (token use, webhook retries): not compared. */
function withoutCounters(body: Json, fields: string[]): Json {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v)
    ? v.map((item: Json) => Object.fromEntries(Object.entries(item).filter(([f]) => !fields.includes(f))))
    : v]));
}

/** Everything of the user the API shows (without `meta`), and every attached file's bytes. */
export async function dumpUser(t: ApiTestApp, u: TestUser): Promise<{ data: Json; files: Map<string, Buffer> }> {
  const data: Json = {};
  const get = async (path: string): Promise<Json> => {
    const res = await api(t, u, 'GET', path);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return noMeta(res.body);
  };
  data.streams = await get('/streams?state=all');
  data.events = await get('/events?state=all&limit=1000000&includeDeletions=true&modifiedSince=0');
  data.accesses = withoutCounters(await get('/accesses?includeDeletions=true'), ['lastUsed', 'calls']);
  // The source core keeps calling the webhook (its URL answers nothing) while the test runs.
  data.webhooks = withoutCounters(await get('/webhooks'), ['runCount', 'failCount', 'currentRetries', 'lastRun', 'runs', 'state']);
  data.profile = await get('/profile/private');
  const files = new Map<string, Buffer>();
  for (const e of (data.events as { events: { id: string; type: string; attachments?: { id: string }[] }[] }).events) {
    if (e.type.startsWith('series:')) data[`series ${e.id}`] = await get(`/events/${e.id}/series?toDeltaTime=100000`);
    data[`history ${e.id}`] = await get(`/events/${e.id}?includeHistory=true`);
    for (const a of e.attachments ?? []) {
      const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events/${e.id}/${a.id}`, headers: { authorization: u.token } });
      expect(res.statusCode).toBe(200);
      files.set(`${e.id}/${a.id}`, res.rawPayload);
    }
  }
  return { data, files };
}

/** The rqlite credential file a real core's master writes (the shared test rqlited does not check it). */
export function giveRqliteCredential(t: ApiTestApp): void {
  writeRqliteAuth(rqliteAuthFile(t.config), 'test-rqlite-password');
}
