import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { app, call, dir, eventPart, filesUnder, MAX_BYTES, MAX_FILES, multipart, PNGISH, post, sha256, t, TEXT, tokens, u, url, useAttachmentsFixture, type Part } from '../helpers/attachments-fixture.js';

/** Attached files (Pryv API §3.2): multipart creation, limits, downloads (test/helpers/attachments-fixture.ts). */
useAttachmentsFixture();

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

  it('answers a download from the worker\'s cached stream tree, with the header as with a readToken', async () => {
    // The user lookup returns the streams version (issue #10): without it, every download loaded the
    // user's whole tree. Engines without streams versions load it every time (docs/mongodb.md#guarantees).
    const versioned = t.services.stores.users.getWithStreamsVersion !== undefined;
    const trees = t.services.streamTrees;
    const byHeader = () => t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}`), headers: { authorization: tokens['P'] ?? '' } });
    const byReadToken = () => t.app.inject({ method: 'GET', url: url(`/events/${event.id}/${file().id}?readToken=${encodeURIComponent(file().readToken)}`) });
    expect((await byHeader()).statusCode).toBe(200);
    for (const download of [byHeader, byReadToken, byHeader]) {
      const [hits, loads] = [trees.hits, trees.loads];
      const res = await download();
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(PNGISH)).toBe(true);
      expect([trees.hits, trees.loads]).toEqual(versioned ? [hits + 1, loads] : [hits, loads + 1]);
    }
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
