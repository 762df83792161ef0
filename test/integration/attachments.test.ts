import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Level } from '../../src/domain/types.js';
import { attachmentsDirOf } from '../../src/storage/files/attachment-files.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

const MAX_BYTES = 64 * 1024;
const MAX_FILES = 4;

let t: ApiTestApp;
let u: TestUser;
let dir: string;
const tokens: Record<string, string> = {};

type Part = { name: string; value: string; type?: string } | { name: string; filename: string; type?: string; data: Buffer };

/** A multipart body written by hand, so part order, names and headers are exactly what a test says. */
function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----hc${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = 'filename' in p ? `form-data; name="${p.name}"; filename="${p.filename}"` : `form-data; name="${p.name}"`;
    const type = p.type === undefined ? '' : `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push('filename' in p ? p.data : Buffer.from(p.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Every regular file under `root`, as paths relative to it. */
function filesUnder(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => relative(root, join(d.parentPath, d.name)));
  } catch {
    return [];
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');
const url = (path: string, user = u): string => `/${user.username}${path}`;

async function post(who: string, path: string, parts: Part[]) {
  const body = multipart(parts);
  const res = await t.app.inject({ method: 'POST', url: url(path), headers: { ...body.headers, authorization: tokens[who] ?? who }, payload: body.payload });
  return { status: res.statusCode, body: res.json() };
}
async function call(who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) {
  const res = await t.app.inject({ method, url: url(path), headers: { authorization: tokens[who] ?? who }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}
async function app(name: string, perms: [string, Level][]): Promise<string> {
  const a = await t.createAccess(u, { type: 'app', name, permissions: perms.map(([streamId, level]) => ({ streamId, level })) });
  tokens[name] = a.token;
  return a.id;
}

const PNGISH = randomBytes(5000);
const TEXT = Buffer.from('hello, attached world\n');
const eventPart = (event: Record<string, unknown>): Part => ({ name: 'event', value: JSON.stringify(event) });

beforeAll(async () => {
  t = await createApiTestApp({
    HOMECORE_ATTACHMENTS__MAX_SIZE_BYTES: String(MAX_BYTES),
    HOMECORE_ATTACHMENTS__MAX_FILES_PER_REQUEST: String(MAX_FILES),
  });
  dir = attachmentsDirOf(t.config);
  u = await t.createUser();
  tokens['P'] = u.token;
  for (const id of ['photos', 'private']) expect((await call('P', 'POST', '/streams', { id, name: id })).status).toBe(201);
  await app('reader', [['photos', 'read']]);
  await app('contributor', [['photos', 'contribute']]);
  await app('privateReader', [['private', 'read']]);
});
afterAll(async () => {
  await t?.close();
});

describe('multipart events.create', () => {
  it('takes files before the event JSON part, stores them byte for byte, with integrity and readTokens', async () => {
    const { status, body } = await post('P', '/events', [
      { name: 'file', filename: 'photo.png', type: 'image/png', data: PNGISH },
      { name: 'other', filename: 'notes.txt', type: 'text/plain', data: TEXT },
      eventPart({ streamIds: ['photos'], type: 'picture/attached' }),
    ]);
    expect(status, JSON.stringify(body)).toBe(201);
    const e = body.event;
    expect(e.attachments).toEqual([
      { id: expect.stringMatching(/^[a-z][a-z0-9]{23}$/), fileName: 'photo.png', type: 'image/png', size: PNGISH.length, integrity: `sha256-${sha256(PNGISH)}`, readToken: expect.any(String) },
      { id: expect.stringMatching(/^[a-z][a-z0-9]{23}$/), fileName: 'notes.txt', type: 'text/plain', size: TEXT.length, integrity: `sha256-${sha256(TEXT)}`, readToken: expect.any(String) },
    ]);
    expect(readFileSync(join(dir, u.user.id, e.id, e.attachments[0].id)).equals(PNGISH)).toBe(true);
    // Nothing but the committed files: the staging area is empty again.
    expect(filesUnder(dir).sort()).toEqual(e.attachments.map((a: { id: string }) => join(u.user.id, e.id, a.id)).sort());
  });

  it('works with the body a fetch FormData sends (the SDK: file, then "event" as a text field)', async () => {
    const form = new FormData();
    form.append('file', new Blob([TEXT], { type: 'text/plain' }), 'from-sdk.txt');
    form.append('event', JSON.stringify({ streamIds: ['photos'], type: 'note/txt', content: 'x' }));
    const req = new Request('http://localhost/', { method: 'POST', body: form });
    const res = await t.app.inject({
      method: 'POST',
      url: url('/events'),
      headers: { authorization: u.token, 'content-type': req.headers.get('content-type') ?? '' },
      payload: Buffer.from(await req.arrayBuffer()),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().event.attachments[0]).toMatchObject({ fileName: 'from-sdk.txt', size: TEXT.length });
  });

  it.each<[string, Part[], number, string]>([
    ['two non-file parts', [eventPart({ streamIds: ['photos'], type: 'file/attached' }), { name: 'x', value: '{}' }], 400, 'invalid-request-structure'],
    ['a non-JSON event part', [{ name: 'event', value: 'not json' }], 400, 'invalid-request-structure'],
    ['no event part', [{ name: 'file', filename: 'a.txt', data: TEXT }], 400, 'invalid-request-structure'],
    ['an invalid event', [{ name: 'file', filename: 'a.txt', data: TEXT }, eventPart({ streamIds: ['photos'] })], 400, 'invalid-parameters-format'],
    ['an unknown stream', [{ name: 'file', filename: 'a.txt', data: TEXT }, eventPart({ streamIds: ['nope'], type: 'file/attached' })], 400, 'unknown-referenced-resource'],
  ])('refuses %s, leaving nothing on disk', async (_name, parts, status, id) => {
    const before = filesUnder(dir);
    const res = await post('P', '/events', parts);
    expect(res.status).toBe(status);
    expect(res.body.error.id).toBe(id);
    expect(filesUnder(dir)).toEqual(before);
  });

  it('refuses an upload without a token before reading it (401)', async () => {
    const before = filesUnder(dir);
    const body = multipart([{ name: 'file', filename: 'a.txt', data: TEXT }, eventPart({ streamIds: ['photos'], type: 'file/attached' })]);
    const res = await t.app.inject({ method: 'POST', url: url('/events'), headers: body.headers, payload: body.payload });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.id).toBe('invalid-access-token');
    expect(filesUnder(dir)).toEqual(before);
  });

  it('refuses a caller without create rights before keeping any file', async () => {
    const before = filesUnder(dir);
    const res = await post('reader', '/events', [{ name: 'file', filename: 'a.txt', data: TEXT }, eventPart({ streamIds: ['photos'], type: 'file/attached' })]);
    expect(res.status).toBe(403);
    expect(filesUnder(dir)).toEqual(before);
  });

  it('refuses multipart bodies on routes that take no files (415)', async () => {
    const res = await post('P', '/streams', [eventPart({ id: 'x', name: 'x' })]);
    expect(res.status).toBe(415);
    expect(res.body.error.id).toBe('unsupported-content-type');
  });
});

describe('size and count limits', () => {
  it('accepts a file of exactly attachments.maxSizeBytes', async () => {
    const res = await post('P', '/events', [{ name: 'f', filename: 'max.bin', data: randomBytes(MAX_BYTES) }, eventPart({ streamIds: ['photos'], type: 'file/attached' })]);
    expect(res.status).toBe(201);
    expect(res.body.event.attachments[0].size).toBe(MAX_BYTES);
  });

  it('refuses a larger file with 413, leaving nothing on disk, even with a valid file before it', async () => {
    const before = filesUnder(dir);
    const res = await post('P', '/events', [
      { name: 'ok', filename: 'small.txt', data: TEXT },
      { name: 'big', filename: 'big.bin', data: randomBytes(MAX_BYTES + 1) },
      eventPart({ streamIds: ['photos'], type: 'file/attached' }),
    ]);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ id: 'invalid-request-structure', data: { limit: MAX_BYTES } });
    expect(filesUnder(dir)).toEqual(before);
  });

  it('over a real socket, answers 413 to a large streamed upload and keeps nothing', async () => {
    const before = filesUnder(dir);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = t.app.server.address() as import('node:net').AddressInfo;
      const body = multipart([{ name: 'big', filename: 'big.bin', data: randomBytes(64 * MAX_BYTES) }, eventPart({ streamIds: ['photos'], type: 'file/attached' })]);
      const res = await fetch(`http://127.0.0.1:${port}${url('/events')}`, { method: 'POST', headers: { ...body.headers, authorization: u.token }, body: body.payload });
      expect(res.status).toBe(413);
      expect((await res.json()).error.id).toBe('invalid-request-structure');
    } finally {
      await t.app.server.close();
    }
    expect(filesUnder(dir)).toEqual(before);
  });

  it('refuses more than attachments.maxFilesPerRequest files with 413', async () => {
    const before = filesUnder(dir);
    const files: Part[] = Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ name: `f${i}`, filename: `${i}.txt`, data: TEXT }));
    const res = await post('P', '/events', [...files, eventPart({ streamIds: ['photos'], type: 'file/attached' })]);
    expect(res.status).toBe(413);
    expect(filesUnder(dir)).toEqual(before);
  });
});

describe('events.getAttachment', () => {
  let event: { id: string; attachments: { id: string; readToken: string; fileName: string }[] };
  const SECRET = Buffer.from('outside the attachments directory');

  beforeAll(async () => {
    const res = await post('P', '/events', [
      { name: 'file', filename: 'résumé (1) 100%.png', type: 'image/png', data: PNGISH },
      eventPart({ streamIds: ['photos'], type: 'picture/attached' }),
    ]);
    expect(res.status).toBe(201);
    event = res.body.event;
    writeFileSync(join(t.config.paths.varDir, 'secret.txt'), SECRET);
  });
  const file = () => event.attachments[0] ?? { id: '', readToken: '', fileName: '' };

  it('serves the exact bytes by readToken, with the §3.2 headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}?readToken=${encodeURIComponent(file().readToken)}`) });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(PNGISH)).toBe(true);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(PNGISH.length));
    expect(res.headers['content-disposition']).toBe(`attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29%20100%25.png`);
    expect(res.headers['digest']).toBe(`SHA-256=${sha256(PNGISH)}`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves it with the Authorization header, any trailing file name', async () => {
    const res = await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}/any-name.png`), headers: { authorization: tokens['reader'] ?? '' } });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(PNGISH)).toBe(true);
  });

  it.each<[string, () => string, number]>([
    ['?auth= with a valid token', () => `?auth=${u.token}`, 401],
    ['?auth= next to a valid readToken', () => `?auth=${u.token}&readToken=${encodeURIComponent(file().readToken)}`, 401],
    ['a garbage readToken', () => '?readToken=nope', 401],
    ['a readToken with a changed mac', () => `?readToken=${encodeURIComponent(file().readToken.slice(0, -2))}AA`, 401],
    ['no token at all', () => '', 401],
  ])('refuses %s', async (_name, query, status) => {
    const res = await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}${query()}`) });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.id).toBe('invalid-access-token');
  });

  it('gives each reading access its own readToken, which dies with the access', async () => {
    const readerId = await app('temporaryReader', [['photos', 'read']]);
    const got = await call('temporaryReader', 'GET', `/events/${event.id}`);
    const token = got.body.event.attachments[0].readToken as string;
    expect(token).not.toBe(file().readToken);
    expect(token.startsWith(`${readerId}-`)).toBe(true);
    const download = () => t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}?readToken=${encodeURIComponent(token)}`) });
    expect((await download()).statusCode).toBe(200);
    expect((await call('P', 'DELETE', `/accesses/${readerId}`)).status).toBe(200);
    expect((await download()).statusCode).toBe(401);
  });

  it('refuses a readToken made for another file', async () => {
    const other = await post('P', '/events', [{ name: 'f', filename: 'o.txt', data: TEXT }, eventPart({ streamIds: ['photos'], type: 'file/attached' })]);
    const otherToken = other.body.event.attachments[0].readToken as string;
    const res = await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}?readToken=${encodeURIComponent(otherToken)}`) });
    expect(res.statusCode).toBe(401);
  });

  it('refuses an access that cannot read the event (403) and unknown ids (404)', async () => {
    const h = (who: string) => ({ authorization: tokens[who] ?? who });
    expect((await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}`), headers: h('privateReader') })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/unknownfileid`), headers: h('P') })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: url(`/events/cunknowneventidxxxxxxxxxxx/${file().id}`), headers: h('P') })).statusCode).toBe(404);
  });

  it.each([
    '..%2F..%2Fsecret.txt',
    '..%2F..%2F..%2Fsecret.txt',
    '%2e%2e%2f%2e%2e%2fsecret.txt',
    '..',
    '.%2e',
    '..%5C..%5Csecret.txt',
    '%2Fetc%2Fpasswd',
  ])('never reads outside the directory for fileId %s', async (fileId) => {
    const res = await t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${fileId}`), headers: { authorization: u.token } });
    // Refused, or (bare `..` resolved by URL parsing to /events) an events list: never file bytes.
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.rawPayload.includes(SECRET)).toBe(false);
  });

  it('never reads outside the directory for event ids and file names', async () => {
    for (const path of [
      `/events/..%2F..%2F..%2Fsecret.txt/${file().id}`,
      `/events/..%2F${u.user.id}/${file().id}`,
      `/events/${event.id}/${file().id}/..%2F..%2F..%2Fsecret.txt`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url: url(path), headers: { authorization: u.token } });
      expect(res.rawPayload.includes(SECRET), path).toBe(false);
      // A trailing name is only a name: the attachment itself, or nothing.
      if (res.statusCode === 200) expect(res.rawPayload.equals(PNGISH)).toBe(true);
    }
  });

  it('stores client file names as metadata only, whatever they contain', async () => {
    const res = await post('P', '/events', [
      { name: 'f', filename: '../../../../escaped.txt', data: TEXT },
      { name: 'g', filename: '..\\..\\win.txt', data: TEXT },
      eventPart({ streamIds: ['photos'], type: 'file/attached' }),
    ]);
    expect(res.status).toBe(201);
    for (const f of filesUnder(dir)) expect(f).toMatch(/^[a-z0-9]+\/[a-z0-9-]+\/[a-z0-9]+$/);
    expect(filesUnder(t.config.paths.varDir).filter((f) => f.endsWith('escaped.txt') || f.endsWith('win.txt'))).toEqual([]);
  });
});

describe('readTokens in event lists', () => {
  it('events.get adds readTokens to events with files only, over HTTP and in batch', async () => {
    const withFile = (await post('P', '/events', [{ name: 'f', filename: 'l.txt', data: TEXT }, eventPart({ streamIds: ['private'], type: 'note/txt', content: 'a' })])).body.event;
    await call('P', 'POST', '/events', { streamIds: ['private'], type: 'note/txt', content: 'plain' });
    const http = await call('privateReader', 'GET', '/events?streams=private');
    const batch = await call('privateReader', 'POST', '', [{ method: 'events.get', params: { streams: ['private'] } }]);
    for (const events of [http.body.events, batch.body.results[0].events]) {
      expect(events).toHaveLength(2);
      const listed = events.find((e: { id: string }) => e.id === withFile.id);
      expect(listed.attachments[0].readToken).toMatch(/^[a-z0-9]+-[\w-]{43}$/);
      expect(listed.attachments[0].readToken).not.toBe(withFile.attachments[0].readToken);
      expect(events.find((e: { id: string }) => e.id !== withFile.id)).not.toHaveProperty('attachments');
    }
  });
});

describe('adding and deleting files', () => {
  it('POST /events/{id} with files appends them (events.update), batch alias events.addAttachment', async () => {
    const created = (await post('P', '/events', [{ name: 'a', filename: 'a.txt', data: TEXT }, eventPart({ streamIds: ['photos'], type: 'file/attached' })])).body.event;
    const res = await post('contributor', `/events/${created.id}`, [{ name: 'b', filename: 'b.bin', data: PNGISH }]);
    expect(res.status).toBe(200);
    expect(res.body.event.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['a.txt', 'b.bin']);
    expect(res.body.event.modified).toBeGreaterThan(created.modified);
    const second = res.body.event.attachments[1];
    const download = await t.app.inject({ method: 'GET', url: url(`/events/${created.id}/${second.id}?readToken=${encodeURIComponent(second.readToken)}`) });
    expect(download.rawPayload.equals(PNGISH)).toBe(true);
    const batch = await call('P', 'POST', '', [{ method: 'events.addAttachment', params: { id: created.id, update: { description: 'via alias' } } }]);
    expect(batch.body.results[0].event).toMatchObject({ description: 'via alias' });
  });

  it.each<[string, string, () => Part[] | null, number]>([
    ['a JSON body', 'P', () => null, 415],
    ['a non-file part', 'P', () => [{ name: 'f', filename: 'x.txt', data: TEXT }, { name: 'event', value: '{}' }], 400],
    ['no file', 'P', () => [], 400],
    ['a reader', 'reader', () => [{ name: 'f', filename: 'x.txt', data: TEXT }], 403],
  ])('refuses adding files with %s, leaving nothing on disk', async (_n, who, parts, status) => {
    const created = (await call('P', 'POST', '/events', { streamIds: ['photos'], type: 'note/txt', content: 'x' })).body.event;
    const before = filesUnder(dir);
    const p = parts();
    const res = p === null ? await call(who, 'POST', `/events/${created.id}`, { description: 'x' }) : await post(who, `/events/${created.id}`, p);
    expect(res.status).toBe(status);
    expect(filesUnder(dir)).toEqual(before);
  });

  it('events.deleteAttachment removes one file and its record', async () => {
    const created = (await post('P', '/events', [
      { name: 'a', filename: 'a.txt', data: TEXT },
      { name: 'b', filename: 'b.txt', data: TEXT },
      eventPart({ streamIds: ['photos'], type: 'file/attached' }),
    ])).body.event;
    const [a, b] = created.attachments as { id: string }[];
    expect((await call('reader', 'DELETE', `/events/${created.id}/${a?.id}`)).status).toBe(403);
    const res = await call('contributor', 'DELETE', `/events/${created.id}/${a?.id}`);
    expect(res.status).toBe(200);
    expect(res.body.event.attachments.map((x: { id: string }) => x.id)).toEqual([b?.id]);
    expect(filesUnder(join(dir, u.user.id, created.id))).toEqual([b?.id]);
    expect((await call('P', 'DELETE', `/events/${created.id}/${a?.id}`)).status).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: url(`/events/${created.id}/${a?.id}`), headers: { authorization: u.token } })).statusCode).toBe(404);
    const last = await call('P', 'POST', '', [{ method: 'events.deleteAttachment', params: { id: created.id, fileId: b?.id } }]);
    expect(last.body.results[0].event).not.toHaveProperty('attachments');
    expect(filesUnder(join(dir, u.user.id, created.id))).toEqual([]);
  });
});

describe('storageUsed and deletions', () => {
  it('keeps storageUsed.attachedFiles right through adds, file deletions and event deletions', async () => {
    const v = await t.createUser();
    tokens['V'] = v.token;
    const used = async () => (await t.app.inject({ method: 'GET', url: `/${v.username}/account`, headers: { authorization: v.token } })).json().account.storageUsed.attachedFiles as number;
    const as = async (parts: Part[], path = '/events') => {
      const body = multipart(parts);
      return (await t.app.inject({ method: 'POST', url: `/${v.username}${path}`, headers: { ...body.headers, authorization: v.token }, payload: body.payload })).json().event;
    };
    expect((await t.app.inject({ method: 'POST', url: `/${v.username}/streams`, headers: { authorization: v.token }, payload: { id: 's', name: 's' } })).statusCode).toBe(201);
    expect(await used()).toBe(0);
    const e = await as([{ name: 'a', filename: 'a', data: PNGISH }, eventPart({ streamIds: ['s'], type: 'file/attached' })]);
    expect(await used()).toBe(PNGISH.length);
    await as([{ name: 'b', filename: 'b', data: TEXT }], `/events/${e.id}`);
    expect(await used()).toBe(PNGISH.length + TEXT.length);
    const del = (path: string) => t.app.inject({ method: 'DELETE', url: `/${v.username}${path}`, headers: { authorization: v.token } });
    expect((await del(`/events/${e.id}/${e.attachments[0].id}`)).statusCode).toBe(200);
    expect(await used()).toBe(TEXT.length);
    // Trashed: the files stay (and count); deleted for good: gone from disk too.
    expect((await del(`/events/${e.id}`)).json().event.trashed).toBe(true);
    expect(await used()).toBe(TEXT.length);
    expect((await del(`/events/${e.id}`)).json()).toHaveProperty('eventDeletion');
    expect(await used()).toBe(0);
    expect(filesUnder(join(dir, v.user.id))).toEqual([]);
  });

  it('removes the files of events deleted with their stream, and of a deleted user', async () => {
    const w = await t.createUser();
    const h = { authorization: w.token };
    await t.app.inject({ method: 'POST', url: `/${w.username}/streams`, headers: h, payload: { id: 'gone', name: 'gone' } });
    const body = multipart([{ name: 'a', filename: 'a', data: TEXT }, eventPart({ streamIds: ['gone'], type: 'file/attached' })]);
    const e = (await t.app.inject({ method: 'POST', url: `/${w.username}/events`, headers: { ...body.headers, ...h }, payload: body.payload })).json().event;
    expect(filesUnder(join(dir, w.user.id, e.id))).toHaveLength(1);
    await t.app.inject({ method: 'DELETE', url: `/${w.username}/streams/gone`, headers: h });
    const res = await t.app.inject({ method: 'DELETE', url: `/${w.username}/streams/gone?mergeEventsWithParent=false`, headers: h });
    expect(res.json().updatedEvents).toEqual([{ id: e.id, action: 'deleted' }]);
    expect(filesUnder(join(dir, w.user.id))).toEqual([]);

    await t.app.inject({ method: 'POST', url: `/${w.username}/streams`, headers: h, payload: { id: 'kept', name: 'kept' } });
    const body2 = multipart([{ name: 'a', filename: 'a', data: TEXT }, eventPart({ streamIds: ['kept'], type: 'file/attached' })]);
    await t.app.inject({ method: 'POST', url: `/${w.username}/events`, headers: { ...body2.headers, ...h }, payload: body2.payload });
    expect(filesUnder(join(dir, w.user.id))).toHaveLength(1);
    const gone = await t.app.inject({ method: 'DELETE', url: `/users/${w.username}`, headers: { authorization: t.services.secrets.adminAccessKey } });
    expect(gone.statusCode).toBe(200);
    expect(readdirSync(dir)).not.toContain(w.user.id);
  });
});
