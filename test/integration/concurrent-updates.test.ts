import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * No lost updates (issue #16, hole 3): concurrent writes to one event through the real HTTP API (a
 * listening app on loopback, on the test engine) each keep their acknowledged change. Before the fix,
 * events.update, attachment add/delete and the series holder updater read the event, changed it in
 * memory and wrote it back, so of 50 concurrent clientData updates only a few keys survived.
 */

const N = 50;
let t: ApiTestApp;
let u: TestUser;
let base: string;

type Json = { event: { id: string; clientData?: Record<string, unknown>; duration?: number; attachments?: { id: string; fileName: string; integrity: string }[] } };

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const init: RequestInit = { method, headers: { authorization: u.token } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { authorization: u.token, 'content-type': 'application/json' };
  }
  const res = await fetch(`${base}/${u.username}${path}`, init);
  return { status: res.status, json: (await res.json()) as Json };
}

async function newEvent(extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api('POST', '/events', { streamIds: ['s'], type: 'note/txt', content: 'x', ...extra });
  expect(res.status).toBe(201);
  return res.json.event.id;
}

beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0', HOMECORE_STORAGES__POSTGRESQL__POOL_SIZE: '20' });
  u = await t.createUser();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  expect((await api('POST', '/streams', { id: 's', name: 's' })).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('concurrent updates of one event', () => {
  it(`${N} parallel events.update calls, each adding a clientData key: every acknowledged key survives`, async () => {
    const id = await newEvent({ clientData: { start: true } });
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => api('PUT', `/events/${id}`, { clientData: { [`k${i}`]: i } })));
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
    answers.forEach((a, i) => {
      expect(a.json.event.clientData?.[`k${i}`]).toBe(i);
    });
    const stored = (await api('GET', `/events/${id}`)).json.event.clientData ?? {};
    const expected = Object.fromEntries([['start', true], ...Array.from({ length: N }, (_, i) => [`k${i}`, i])]);
    expect(stored).toEqual(expected);
  });

  it(`${N} parallel streams.update calls (clientData keys, one rename): every change survives`, async () => {
    expect((await api('POST', '/streams', { id: 'busy', name: 'busy', clientData: { start: true } })).status).toBe(201);
    const answers = await Promise.all([
      ...Array.from({ length: N }, (_, i) => api('PUT', '/streams/busy', { clientData: { [`k${i}`]: i } })),
      api('PUT', '/streams/busy', { name: 'renamed' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(N + 1).fill(200));
    const res = await fetch(`${base}/${u.username}/streams`, { headers: { authorization: u.token } });
    const stream = ((await res.json()) as { streams: { id: string; name: string; clientData: unknown }[] }).streams.find((s) => s.id === 'busy');
    expect(stream?.name).toBe('renamed');
    expect(stream?.clientData).toEqual(Object.fromEntries([['start', true], ...Array.from({ length: N }, (_, i) => [`k${i}`, i])]));
  });

  it(`${N} parallel attachment adds, then parallel deletes of half of them: the event lists exactly the rest`, async () => {
    const id = await newEvent();
    const data = (i: number): Buffer => Buffer.from(`file number ${i}\n`.repeat(i + 1));
    const adds = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const form = new FormData();
        form.append('file', new Blob([data(i)], { type: 'text/plain' }), `f${i}.txt`);
        return api('POST', `/events/${id}`, form);
      }),
    );
    expect(adds.map((a) => a.status)).toEqual(Array(N).fill(200));
    const all = (await api('GET', `/events/${id}`)).json.event.attachments ?? [];
    expect(all.map((a) => a.fileName).sort()).toEqual(Array.from({ length: N }, (_, i) => `f${i}.txt`).sort());
    for (const a of all) {
      const i = Number(a.fileName.slice(1, -4));
      expect(a.integrity).toBe(`sha256-${createHash('sha256').update(data(i)).digest('base64')}`);
    }
    const [gone, kept] = [all.slice(0, N / 2), all.slice(N / 2)];
    const deletes = await Promise.all(gone.map((a) => api('DELETE', `/events/${id}/${a.id}`)));
    expect(deletes.map((d) => d.status)).toEqual(Array(N / 2).fill(200));
    const left = (await api('GET', `/events/${id}`)).json.event.attachments ?? [];
    expect(left.map((a) => a.id).sort()).toEqual(kept.map((a) => a.id).sort());
    // Every kept file is still whole on disk.
    for (const a of kept.slice(0, 5)) {
      const res = await fetch(`${base}/${u.username}/events/${id}/${a.id}`, { headers: { authorization: u.token } });
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(`sha256-${createHash('sha256').update(bytes).digest('base64')}`).toBe(a.integrity);
    }
  });

  it('a series holder update racing a user update keeps both: the user\'s clientData and the new duration', async () => {
    const id = await newEvent({ type: 'series:mass/kg', content: undefined });
    // Hold the event's write lock (t.records.holdEvent: PostgreSQL's row, MongoDB's lock document)
    // so that both writers are under way before either writes: the user update first, then the
    // holder update of a series write.
    const held = await t.records.holdEvent(u.user.id, id);
    try {
      const user = api('PUT', `/events/${id}`, { clientData: { note: 'mine' } });
      await held.writersWaiting(1);
      const series = fetch(`${base}/${u.username}/events/${id}/series`, {
        method: 'POST',
        headers: { authorization: u.token, 'content-type': 'application/json' },
        body: JSON.stringify({ format: 'flatJSON', fields: ['deltaTime', 'value'], points: [[0, 70], [42, 71]] }),
      });
      await held.writersWaiting(2);
      await held.release();
      expect((await user).status).toBe(200);
      expect((await series).status).toBe(200);
    } finally {
      await held.release().catch(() => undefined);
    }
    const stored = (await api('GET', `/events/${id}`)).json.event;
    expect(stored.clientData).toEqual({ note: 'mine' });
    expect(stored.duration).toBe(42);
  });
});
