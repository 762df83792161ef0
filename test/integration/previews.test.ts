import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDeflate, crc32 } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness } from '../../src/health/readiness.js';
import { buildPreviewsApp } from '../../src/http/role-apps.js';
import { previewsCacheDirOf } from '../../src/previews/preview-cache.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { freePort } from '../helpers/free-port.js';

const MAX_INPUT_BYTES = 300_000;

let t: ApiTestApp;
let previews: FastifyInstance;
let u: TestUser;
let cacheDir: string;
let readerToken: string;

/**
 * A valid PNG declaring 30000×30000 pixels (900 M, 1-bit, one solid colour) that deflates to about
 * 110 KB. Written with zlib rather than sharp: sharp needs 15–30 s of CPU to encode 900 M pixels,
 * zlib a second; what matters is that the file is a real, fully decodable bomb.
 */
async function decompressionBomb(side = 30_000): Promise<Buffer> {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const row = Buffer.alloc(1 + Math.ceil(side / 8), 0xff);
  row[0] = 0; // filter: none
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => deflate.on('end', resolve));
  const block = Buffer.concat(Array.from({ length: 100 }, () => row));
  for (let i = 0; i < side / 100; i++) if (!deflate.write(block)) await new Promise((r) => deflate.once('drain', r));
  deflate.end();
  await ended;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(out)), chunk('IEND', Buffer.alloc(0))]);
}

function multipart(file: { name: string; type: string; data: Buffer }, event: Record<string, unknown>): { payload: Buffer; headers: Record<string, string> } {
  const b = `----hc${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`),
    file.data,
    Buffer.from(`\r\n--${b}\r\nContent-Disposition: form-data; name="event"\r\n\r\n${JSON.stringify(event)}\r\n--${b}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

async function picture(data: Buffer, type = 'image/png', eventType = 'picture/attached'): Promise<{ id: string; modified: number }> {
  const body = multipart({ name: 'p', type, data }, { streamIds: ['pics'], type: eventType });
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: { ...body.headers, authorization: u.token }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().event;
}

const preview = (path: string, token: string | null = u.token) =>
  previews.inject({ method: 'GET', url: `/${u.username}${path}`, headers: token === null ? {} : { authorization: token } });

async function dims(payload: Buffer): Promise<[number, number, boolean]> {
  const m = await sharp(payload).metadata();
  expect(m.format).toBe('jpeg');
  return [m.width, m.height, m.isProgressive];
}

const cacheFiles = (): string[] => readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));

let jpeg800x600: { id: string; modified: number };
let png300x500: { id: string; modified: number };

beforeAll(async () => {
  const port = await freePort();
  t = await createApiTestApp({ HOMECORE_HTTP__PREVIEWS_PORT: String(port), HOMECORE_PREVIEWS__MAX_INPUT_BYTES: String(MAX_INPUT_BYTES) });
  cacheDir = previewsCacheDirOf(t.config);
  const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });
  previews = await buildPreviewsApp(t.services, readiness);
  await previews.listen({ port, host: '127.0.0.1' });
  u = await t.createUser();
  for (const id of ['pics', 'other']) {
    await t.app.inject({ method: 'POST', url: `/${u.username}/streams`, headers: { authorization: u.token }, payload: { id, name: id } });
  }
  readerToken = (await t.createAccess(u, { type: 'app', name: 'other-reader', permissions: [{ streamId: 'other', level: 'read' }] })).token;
  jpeg800x600 = await picture(await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3366aa' } }).jpeg().toBuffer(), 'image/jpeg');
  png300x500 = await picture(await sharp({ create: { width: 300, height: 500, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } }).png().toBuffer());
});
afterAll(async () => {
  await previews?.close();
  await t?.close();
});

describe('previews', () => {
  it('turns a JPEG into a progressive JPEG fitting 256×256 by default, private cache control', async () => {
    const res = await preview(`/events/${jpeg800x600.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['cache-control']).toBe('private');
    expect(await dims(res.rawPayload)).toEqual([256, 192, true]);
  });

  it.each<[string, string, () => { id: string }, [number, number]]>([
    ['w=300 → width 512', '?w=300', () => jpeg800x600, [512, 384]],
    ['width=256 stays 256 (smallest standard ≥ request)', '.jpg?width=256', () => jpeg800x600, [256, 192]],
    ['w=257 → 512', '.jpeg?w=257', () => jpeg800x600, [512, 384]],
    ['w=5000 → capped at 1024', '?w=5000', () => jpeg800x600, [1024, 768]],
    ['h=600 on a wide image → height 768', '?h=600', () => jpeg800x600, [1024, 768]],
    ['PNG, h=600 → height 768', '?h=600', () => png300x500, [461, 768]],
    ['PNG, box wider than the image → width snapped', '?w=100&h=100', () => png300x500, [256, 427]],
    ['PNG, w=1024 → both sides within 1024', '?w=1024', () => png300x500, [614, 1024]],
    ['PNG, height=100 → 256 high', '?height=100', () => png300x500, [154, 256]],
  ])('%s', async (_name, query, event, expected) => {
    const res = await preview(`/events/${event().id}${query}`);
    expect(res.statusCode).toBe(200);
    const [w, h] = await dims(res.rawPayload);
    expect([w, h]).toEqual(expected);
  });

  it('takes the token from ?auth= too, and needs read on one of the event streams', async () => {
    expect((await preview(`/events/${jpeg800x600.id}?auth=${u.token}`, null)).statusCode).toBe(200);
    expect((await preview(`/events/${jpeg800x600.id}`, null)).statusCode).toBe(401);
    expect((await preview(`/events/${jpeg800x600.id}`, readerToken)).statusCode).toBe(403);
    expect((await preview('/events/cunknowneventidxxxxxxxxxxx')).statusCode).toBe(404);
    expect((await preview(`/events/${jpeg800x600.id}?w=-3`)).statusCode).toBe(400);
  });

  it('answers 204 for events that are not pictures', async () => {
    const note = (await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: { authorization: u.token }, payload: { streamIds: ['pics'], type: 'note/txt', content: 'hi' } })).json().event;
    expect((await preview(`/events/${note.id}`)).statusCode).toBe(204);
    const file = await picture(await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toBuffer(), 'image/png', 'file/attached');
    expect((await preview(`/events/${file.id}.jpg`)).statusCode).toBe(204);
  });

  it('reuses the cached file, and never serves it once the event changed', async () => {
    const event = await picture(await sharp({ create: { width: 640, height: 480, channels: 3, background: '#00ff00' } }).png().toBuffer());
    const first = await preview(`/events/${event.id}?w=512`);
    expect(first.statusCode).toBe(200);
    const mine = cacheFiles().filter((f) => f.includes(event.id));
    expect(mine).toHaveLength(1);
    // Swap the cached bytes for a marker: a cache hit must serve exactly them.
    const marker = await sharp({ create: { width: 512, height: 384, channels: 3, background: '#ff00ff' } }).jpeg().toBuffer();
    writeFileSync(mine[0] ?? '', marker);
    expect((await preview(`/events/${event.id}?w=400`)).rawPayload.equals(marker)).toBe(true);
    const updated = await t.app.inject({ method: 'PUT', url: `/${u.username}/events/${event.id}`, headers: { authorization: u.token }, payload: { description: 'changed' } });
    expect(updated.statusCode).toBe(200);
    const after = await preview(`/events/${event.id}?w=400`);
    expect(after.statusCode).toBe(200);
    expect(after.rawPayload.equals(marker)).toBe(false);
    expect(await dims(after.rawPayload)).toEqual([512, 384, true]);
    // The old version's file is gone, only the new one is left.
    const now = cacheFiles().filter((f) => f.includes(event.id));
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(mine[0]);
    expect(readFileSync(now[0] ?? '').equals(after.rawPayload)).toBe(true);
  });

  it('a hit keeps a file in use from the clean-up: its last use is set once it is a tenth of the clean-up age old', async () => {
    const event = await picture(await sharp({ create: { width: 300, height: 200, channels: 3, background: '#0000ff' } }).png().toBuffer());
    expect((await preview(`/events/${event.id}?w=256`)).statusCode).toBe(200);
    const [file] = cacheFiles().filter((f) => f.includes(event.id));
    if (file === undefined) throw new Error('no cached preview');
    const maxAgeMs = t.config.previews.cacheMaxAgeSeconds * 1000;
    // Used a twentieth of the age ago: a hit leaves it (one write per tenth, not per hit).
    const recent = new Date(Date.now() - maxAgeMs / 20);
    utimesSync(file, recent, recent);
    expect((await preview(`/events/${event.id}?w=256`)).statusCode).toBe(200);
    expect(Math.abs(statSync(file).mtimeMs - recent.getTime())).toBeLessThan(1000);
    // Past the clean-up age: a hit marks it used now, and the clean-up keeps it.
    const old = new Date(Date.now() - maxAgeMs - 60_000);
    utimesSync(file, old, old);
    const hit = await preview(`/events/${event.id}?w=256`);
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['content-length']).toBe(String(statSync(file).size));
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(10_000);
    await previews.inject({ method: 'POST', url: '/clean-up-cache', headers: { authorization: t.services.secrets.adminAccessKey } });
    expect(cacheFiles()).toContain(file);
  });

  it('refuses a decompression bomb with 422 and goes on serving', async () => {
    const bombPng = await decompressionBomb();
    expect(bombPng.length).toBeLessThan(MAX_INPUT_BYTES);
    const bomb = await picture(bombPng);
    const started = Date.now();
    const res = await preview(`/events/${bomb.id}`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ id: 'corrupted-data', data: { reason: 'pixel-limit' } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await preview(`/events/${jpeg800x600.id}?w=700`)).statusCode).toBe(200);
  }, 60_000);

  it('refuses a non-image (422) and a source over previews.maxInputBytes (422), then goes on serving', async () => {
    const text = await picture(Buffer.from('this is not an image at all'), 'image/png');
    const res = await preview(`/events/${text.id}`);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ id: 'corrupted-data', data: { reason: 'unreadable' } });
    const noise = await sharp(randomBytes(400 * 400 * 3), { raw: { width: 400, height: 400, channels: 3 } }).png().toBuffer();
    expect(noise.length).toBeGreaterThan(MAX_INPUT_BYTES);
    const big = await picture(noise);
    expect((await preview(`/events/${big.id}`)).json().error).toMatchObject({ id: 'corrupted-data', data: { reason: 'too-large' } });
    expect((await preview(`/events/${png300x500.id}`)).statusCode).toBe(200);
  });

  it('POST /clean-up-cache needs the admin key and removes files unused for cacheMaxAgeSeconds', async () => {
    expect((await previews.inject({ method: 'POST', url: '/clean-up-cache' })).statusCode).toBe(404);
    expect((await previews.inject({ method: 'POST', url: '/clean-up-cache', headers: { authorization: 'wrong-admin-key-0123456789' } })).statusCode).toBe(404);
    await preview(`/events/${jpeg800x600.id}?w=768`);
    const files = cacheFiles();
    const old = files[0] ?? '';
    const long = new Date(Date.now() - (t.config.previews.cacheMaxAgeSeconds + 60) * 1000);
    utimesSync(old, long, long);
    const res = await previews.inject({ method: 'POST', url: '/clean-up-cache', headers: { authorization: t.services.secrets.adminAccessKey } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ removed: 1, meta: { apiVersion: expect.any(String) } });
    expect(cacheFiles().sort()).toEqual(files.filter((f) => f !== old).sort());
  });

  it('deleting the event for good drops its previews', async () => {
    const event = await picture(await sharp({ create: { width: 50, height: 50, channels: 3, background: '#123456' } }).png().toBuffer());
    await preview(`/events/${event.id}`);
    expect(cacheFiles().some((f) => f.includes(event.id))).toBe(true);
    for (let i = 0; i < 2; i++) await t.app.inject({ method: 'DELETE', url: `/${u.username}/events/${event.id}`, headers: { authorization: u.token } });
    expect(cacheFiles().some((f) => f.includes(event.id))).toBe(false);
  });
});

describe('previews through the API port', () => {
  it('forwards /events/{id}.jpg to the previews worker and streams the answer back', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events/${png300x500.id}.jpg?w=300`, headers: { authorization: u.token } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['cache-control']).toBe('private');
    expect((await dims(res.rawPayload)).slice(0, 2)).toEqual([512, 853]);
    const refused = await t.app.inject({ method: 'GET', url: `/${u.username}/events/${png300x500.id}.jpeg`, headers: { authorization: readerToken } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.id).toBe('forbidden');
    // The bare form stays events.getOne on this port.
    expect((await t.app.inject({ method: 'GET', url: `/${u.username}/events/${png300x500.id}`, headers: { authorization: u.token } })).json().event.id).toBe(png300x500.id);
  });

  it('answers 503 api-unavailable when the previews worker is down', async () => {
    await previews.close();
    const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events/${png300x500.id}.jpg`, headers: { authorization: u.token } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { id: 'api-unavailable' }, meta: { apiVersion: expect.any(String) } });
  });
});
