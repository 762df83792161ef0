import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { Seed, SeededUser } from './seed.ts';
import type { Goal, Scenario } from './scenarios.ts';
import type { ReqSpec } from './wrk.ts';

/**
 * Attachment and preview scenarios (issue #10), with their files seeded on first use through the
 * API (multipart events.create), so a run that skips them (`--only`) pays nothing:
 * - 20 events with a 100 KB attachment (downloads);
 * - 20 JPEGs of 2 MP for cached previews, and FRESH_IMAGES more never previewed before the run for
 *   first renders (each sent once: bench/src/once-run.ts).
 */
const DOWNLOAD_BYTES = 100 * 1024;
const UPLOAD_BYTES = 1024 * 1024;
const CACHED_IMAGES = 20;
const FRESH_IMAGES = 300;
const IMAGE = { width: 1600, height: 1250 };

interface Attached { eventId: string; fileId: string }
interface FileSeed { downloads: Attached[]; cached: Attached[]; fresh: Attached[]; freshCalls: number }

const seeded = new WeakMap<Seed, Promise<FileSeed>>();
const userA = (s: Seed): SeededUser => s.users[0];
const apiOf = (s: Seed): string => new URL('/', s.users[0].base).toString();

async function upload(user: SeededUser, streamId: string, type: string, bytes: Buffer, name: string, mime: string): Promise<Attached> {
  const form = new FormData();
  form.append('event', JSON.stringify({ streamIds: [streamId], type }));
  form.append('file', new Blob([bytes], { type: mime }), name);
  const res = await fetch(`${user.base}events`, { method: 'POST', headers: { authorization: user.personalToken }, body: form });
  const body = (await res.json()) as { event?: { id: string; attachments?: { id: string }[] } };
  const fileId = body.event?.attachments?.[0]?.id;
  if (res.status !== 201 || body.event === undefined || fileId === undefined) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { eventId: body.event.id, fileId };
}

/** A distinct 2 MP JPEG: coarse noise scaled up (compresses like a photo, not like a flat image). */
function jpeg(): Promise<Buffer> {
  const w = IMAGE.width / 10;
  const h = IMAGE.height / 10;
  return sharp(randomBytes(w * h * 3), { raw: { width: w, height: h, channels: 3 } }).resize(IMAGE.width, IMAGE.height).jpeg({ quality: 85 }).toBuffer();
}

async function seedFiles(s: Seed): Promise<FileSeed> {
  const user = userA(s);
  const stream = user.streamIds[user.streamIds.length - 1] ?? 'f0';
  const downloads: Attached[] = [];
  for (let i = 0; i < 20; i++) downloads.push(await upload(user, stream, 'file/attached', randomBytes(DOWNLOAD_BYTES), `blob-${i}.bin`, 'application/octet-stream'));
  const images: Attached[] = [];
  for (let i = 0; i < CACHED_IMAGES + FRESH_IMAGES; i++) images.push(await upload(user, stream, 'picture/attached', await jpeg(), `photo-${i}.jpg`, 'image/jpeg'));
  const cached = images.slice(0, CACHED_IMAGES);
  // Rendered now, so the cached scenario measures cache hits however short its warm-up is.
  const previews = s.previewsBase;
  if (previews !== undefined) {
    for (const a of cached) {
      const res = await fetch(`${previews}${user.username}/events/${a.eventId}?w=512`, { headers: { authorization: user.personalToken } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`preview of ${a.eventId} answered ${res.status}`);
    }
  }
  return { downloads, cached, fresh: images.slice(CACHED_IMAGES), freshCalls: 0 };
}

function files(s: Seed): Promise<FileSeed> {
  let p = seeded.get(s);
  if (p === undefined) {
    p = seedFiles(s);
    seeded.set(s, p);
  }
  return p;
}

function previewsBase(s: Seed): string | { unavailable: string } {
  return s.previewsBase ?? { unavailable: 'no previews worker URL (an external --url core)' };
}

/** The previews port (the API port when unknown: the scenario is then unavailable anyway). */
const previewsUrl = (s: Seed): string => s.previewsBase ?? apiOf(s);

/** GET /{u}/events/{id}?w=… on the previews port for the events `pick` chooses from the seeded files. */
async function previewRequests(s: Seed, pick: (f: FileSeed) => { events: Attached[]; width: number } | { unavailable: string }): Promise<ReqSpec[] | { unavailable: string }> {
  const b = previewsBase(s);
  if (typeof b !== 'string') return b;
  const chosen = pick(await files(s));
  if ('unavailable' in chosen) return chosen;
  const u = userA(s);
  return chosen.events.map((a) => ({ method: 'GET', path: `${u.path}events/${a.eventId}?w=${chosen.width}`, token: u.personalToken }) satisfies ReqSpec);
}

/** A multipart events.create body with a file of `bytes` ASCII bytes (wrk's script holds it as text). */
function multipartUpload(streamId: string, bytes: number): ReqSpec['raw'] {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const content = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);
  const body = [
    `--${boundary}\r\nContent-Disposition: form-data; name="event"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ streamIds: [streamId], type: 'file/attached' })}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n`,
    `--${boundary}--\r\n`,
  ].join('');
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}

const goal = (rps: number): Goal => ({ rps });

export const FILE_SCENARIOS: Scenario[] = [
  {
    id: 'attachments.download-100k',
    group: 'attachments',
    title: 'attachment download, 100 KB',
    goal: goal(2_400),
    detail: 'GET /{u}/events/{id}/{fileId}, 20 events with a 100 KB random file, personal token',
    url: (s) => apiOf(s),
    async requests(s) {
      const f = await files(s);
      const u = userA(s);
      return f.downloads.map((a) => ({ method: 'GET', path: `${u.path}events/${a.eventId}/${a.fileId}`, token: u.personalToken }) satisfies ReqSpec);
    },
  },
  {
    id: 'attachments.upload-1m',
    group: 'attachments',
    title: 'attachment upload, 1 MB (events.create multipart)',
    goal: goal(400),
    detail: 'POST /{u}/events multipart: the event and a 1 MB file; every request stores 1 MB (a 15 s run at 100 req/s writes 1.5 GB)',
    url: (s) => apiOf(s),
    async requests(s) {
      const u = userA(s);
      const stream = u.streamIds[u.streamIds.length - 1] ?? 'f0';
      return [{ method: 'POST', path: `${u.path}events`, token: u.personalToken, raw: multipartUpload(stream, UPLOAD_BYTES) }];
    },
  },
  {
    id: 'previews.cached-512',
    group: 'previews',
    title: 'preview 512 px, cached',
    goal: goal(2_400),
    detail: `GET /{u}/events/{id}?w=512 on the previews port, ${CACHED_IMAGES} JPEGs of 2 MP rendered once while seeding`,
    url: previewsUrl,
    requests: (s) => previewRequests(s, (f) => ({ events: f.cached, width: 512 })),
  },
  {
    id: 'previews.first-512',
    group: 'previews',
    title: 'preview 512 px, first render of a 2 MP JPEG',
    goal: goal(120),
    detail: `GET /{u}/events/{id}?w=512 on the previews port, each of ${FRESH_IMAGES} never-previewed JPEGs of 2 MP once (not wrk: bench/src/once-run.ts); the warm-up renders them at 256 px (source read, not the 512 px preview)`,
    once: true,
    url: previewsUrl,
    requests: (s) =>
      previewRequests(s, (f) => {
        // Called for the availability check / warm-up, then for the measured run: 256 px, then 512 px.
        f.freshCalls += 1;
        if (f.freshCalls > 2) return { unavailable: 'the never-previewed images were used by an earlier run of this core' };
        return { events: f.fresh, width: f.freshCalls === 1 ? 256 : 512 };
      }),
  },
];
