import { randomBytes } from 'node:crypto';
import { call, expectStatus, field } from './http.ts';
import { contentCounts, medsPerUser, seedMedications } from './seed-content.ts';

/**
 * The data set, made through the public API only (registration, batch calls, accesses.create, the
 * series routes): 2 users, each with 70 streams (5 trees of 10 = root, 3 children, 6 grandchildren;
 * 20 flat root streams), 5,000 events spread over the last 50 days (≈100 a day, round-robin over the
 * 70 streams, half `note/txt`, half `mass/kg`), one `series:mass/kg` event holding 100,000 points
 * (deltaTime 0…99,999 s); user A also has one shared access with 10 `contribute` permissions.
 */

/**
 * `BENCH_SEED_SCALE` (bench/run --scale): the events and medication events per user are scaled by
 * it (the series keep their 100,000 points), for the engines whose seeding or reads cost grows with
 * the number of documents (the embedded FerretDB). Compare runs of the same scale only.
 */
export const seedScale = (): number => Number(process.env['BENCH_SEED_SCALE'] ?? '1');
export const eventsPerUser = (): number => Math.max(1, Math.round(5000 * seedScale()));
export const SERIES_POINTS = 100_000;
const DAYS = 50;

export interface SeededUser {
  username: string;
  /** API base of the user: `{apiUrl}{username}/`. */
  base: string;
  /** Path part of `base`, for wrk requests. */
  path: string;
  personalToken: string;
  streamIds: string[];
  eventIds: string[];
  seriesEventId: string | null;
}

export interface Seed {
  users: [SeededUser, SeededUser];
  /** The shared access on user A's streams. */
  restricted: { token: string; permissions: string[]; readableStreams: string[] };
  /** A tree root (10 streams in its subtree) both tokens may read. */
  parentStream: string;
  /** A stream 3 levels deep, for nested streams.create. */
  deepStream: string;
  /** events.get time range: a 1-day window 25 days back. */
  timeRange: { fromTime: number; toTime: number };
  /** How many events each events.get variant returns right after seeding. */
  counts: Record<string, number>;
  series: { available: boolean; status: number; detail: string; base: string };
  /** The previews worker's base URL (bench/run's own core), set after seeding; absent for an external --url core. */
  previewsBase?: string;
  seconds: number;
}

export function streamLayout(): { id: string; parentId: string | null }[] {
  const out: { id: string; parentId: string | null }[] = [];
  for (let t = 0; t < 5; t++) {
    out.push({ id: `t${t}`, parentId: null });
    for (let c = 0; c < 3; c++) {
      out.push({ id: `t${t}-c${c}`, parentId: `t${t}` });
      for (let g = 0; g < 2; g++) out.push({ id: `t${t}-c${c}-g${g}`, parentId: `t${t}-c${c}` });
    }
  }
  for (let f = 0; f < 20; f++) out.push({ id: `f${f}`, parentId: null });
  return out;
}

/** Restricted access: the tree root t0 (so its 9 descendants too) and the flat streams f0…f8. */
export const RESTRICTED_PERMISSIONS = ['t0', ...Array.from({ length: 9 }, (_, i) => `f${i}`)];

export async function register(apiUrl: string, username: string): Promise<{ base: string; token: string }> {
  const body = await expectStatus(201, 'POST', `${apiUrl}users`, {
    body: { username, password: `pw-${randomBytes(9).toString('base64url')}`, email: `${username}@bench.invalid`, appId: 'homecore-bench' },
  });
  const endpoint = new URL(field<string>(body, 'apiEndpoint'));
  const token = decodeURIComponent(endpoint.username);
  if (token === '') throw new Error(`registration answered no token in apiEndpoint: ${JSON.stringify(body)}`);
  endpoint.username = '';
  return { base: endpoint.toString(), token };
}

/** A seeding batch may take minutes (ten of 1,000 calls at once); seeding is not what is measured. */
const BATCH_TIMEOUT_MS = 30 * 60_000;

/**
 * `BENCH_SEED_SLOW=1` (bench/run --engine mongodb): batches of 100 calls, one at a time, as each
 * call costs far more on the embedded FerretDB (docs/mongodb.md#read-speed) and a batch must answer
 * within the HTTP client's 5-minute header timeout.
 */
const SLOW = process.env['BENCH_SEED_SLOW'] === '1';

export async function batch(base: string, token: string, calls: { method: string; params: unknown }[]): Promise<unknown[]> {
  const body = await expectStatus(200, 'POST', base, { token, body: calls, timeoutMs: BATCH_TIMEOUT_MS });
  const results = field<unknown[]>(body, 'results');
  const failed = results.find((r) => typeof r === 'object' && r !== null && 'error' in r);
  if (failed !== undefined) throw new Error(`batch call failed: ${JSON.stringify(failed).slice(0, 500)}`);
  return results;
}

async function seedUser(apiUrl: string, username: string, now: number): Promise<SeededUser> {
  const { base, token } = await register(apiUrl, username);
  const layout = streamLayout();
  await batch(base, token, layout.map((s) => ({ method: 'streams.create', params: { id: s.id, name: s.id, parentId: s.parentId } })));
  const streamIds = layout.map((s) => s.id);
  const eventIds: string[] = [];
  const perUser = eventsPerUser();
  const step = (DAYS * 86_400) / perUser;
  // Batches of 1000 calls (the batch limit), all sent at once: seeding is not what is measured.
  const batches: Promise<unknown[]>[] = [];
  const size = SLOW ? 100 : 1000;
  for (let from = 0; from < perUser; from += size) {
    const calls = [];
    for (let i = from; i < Math.min(from + size, perUser); i++) {
      const streamId = streamIds[i % streamIds.length] ?? 'f0';
      const note = i % 2 === 0;
      calls.push({
        method: 'events.create',
        params: { streamIds: [streamId], type: note ? 'note/txt' : 'mass/kg', time: now - i * step, content: note ? `bench note ${i}` : 60 + (i % 400) / 10 },
      });
    }
    const sent = batch(base, token, calls);
    if (SLOW) await sent;
    batches.push(sent);
  }
  for (const results of await Promise.all(batches)) for (const r of results) eventIds.push(field<string>(r, 'event', 'id'));
  return { username, base, path: new URL(base).pathname, personalToken: token, streamIds, eventIds, seriesEventId: null };
}

/** A `series:mass/kg` holder event in stream f19 (personal tokens write and read series). */
export async function createSeriesHolder(user: SeededUser, time: number): Promise<string> {
  const body = await expectStatus(201, 'POST', `${user.base}events`, { token: user.personalToken, body: { streamIds: ['f19'], type: 'series:mass/kg', time } });
  return field<string>(body, 'event', 'id');
}

export function flatJson(points: [number, number][]): unknown {
  return { format: 'flatJSON', fields: ['deltaTime', 'value'], points };
}

/**
 * Series routes live on the API port (spec §5: it serves or proxies them) and on the HFS port. The
 * first base answering something other than 404 is used; none → the scenarios report "not available".
 */
async function probeSeries(user: SeededUser, eventId: string, bases: string[]): Promise<Seed['series']> {
  let last = { status: 0, detail: 'not probed' };
  for (const base of bases) {
    const r = await call('POST', `${base}${user.username}/events/${eventId}/series`, { token: user.personalToken, body: flatJson([[0, 60]]) });
    if (r.status >= 200 && r.status < 300) return { available: true, status: r.status, detail: 'ok', base };
    last = { status: r.status, detail: r.text.slice(0, 200) };
    if (r.status !== 404) return { available: false, status: r.status, detail: last.detail, base };
  }
  return { available: false, status: last.status, detail: last.detail, base: bases[0] ?? '' };
}

export async function countEvents(url: string, token: string): Promise<number> {
  const body = await expectStatus(200, 'GET', url, { token });
  return field<unknown[]>(body, 'events').length;
}

export async function seed(apiUrl: string, hfsUrl: string | null, log: (m: string) => void, seriesPort: 'api' | 'hfs' = 'api'): Promise<Seed> {
  const started = performance.now();
  const now = Math.floor(Date.now() / 1000);
  const tag = randomBytes(3).toString('hex');
  const [a, b] = await Promise.all([seedUser(apiUrl, `bench-a-${tag}`, now), seedUser(apiUrl, `bench-b-${tag}`, now)]);
  for (const u of [a, b]) log(`seeded ${u.username}: ${u.streamIds.length} streams, ${u.eventIds.length} events`);
  await Promise.all([seedMedications(a, now), seedMedications(b, now)]);
  log(`seeded ${medsPerUser()} medication/intake events per user (content queries)`);

  const access = await expectStatus(201, 'POST', `${a.base}accesses`, {
    token: a.personalToken,
    body: { name: 'bench-restricted', type: 'shared', permissions: RESTRICTED_PERMISSIONS.map((streamId) => ({ streamId, level: 'contribute' })) },
  });
  const restrictedToken = field<string>(access, 'access', 'token');
  const readable = [...RESTRICTED_PERMISSIONS, ...a.streamIds.filter((s) => s.startsWith('t0-'))];

  const timeRange = { fromTime: now - 25.5 * 86_400, toTime: now - 24.5 * 86_400 };
  const parentStream = 't0';
  const counts: Record<string, number> = {};
  const q = (p: string): string => `${a.base}events${p}`;
  const range = `?fromTime=${timeRange.fromTime}&toTime=${timeRange.toTime}`;
  for (const [name, token] of [['personal', a.personalToken], ['restricted', restrictedToken]] as const) {
    counts[`no filter, ${name}`] = await countEvents(q(''), token);
    counts[`parent stream, ${name}`] = await countEvents(q(`?streams=${parentStream}`), token);
    counts[`time range, ${name}`] = await countEvents(q(range), token);
  }
  Object.assign(counts, await contentCounts(a));

  const hfs = hfsUrl === null ? [] : [hfsUrl];
  // --series-port hfs: the HFS worker's port first, as clients following the service info's HF URL do.
  const bases = seriesPort === 'hfs' ? [...hfs, apiUrl] : [apiUrl, ...hfs];
  const holderA = await createSeriesHolder(a, now - 200_000);
  const series = await probeSeries(a, holderA, bases);
  if (series.available) {
    for (const user of [a, b]) {
      const holder = user === a ? holderA : await createSeriesHolder(user, now - 200_000);
      for (let from = 0; from < SERIES_POINTS; from += 20_000) {
        const points: [number, number][] = [];
        for (let i = from; i < from + 20_000; i++) points.push([i, 60 + (i % 300) / 10]);
        await expectStatus(200, 'POST', `${series.base}${user.username}/events/${holder}/series`, { token: user.personalToken, body: flatJson(points) });
      }
      user.seriesEventId = holder;
    }
    log(`seeded 2 series events with ${SERIES_POINTS} points each (${series.base})`);
  } else {
    log(`series routes not available (${series.status}): ${series.detail}`);
  }
  return {
    users: [a, b],
    restricted: { token: restrictedToken, permissions: RESTRICTED_PERMISSIONS, readableStreams: readable },
    parentStream,
    deepStream: 't1-c0-g0',
    timeRange,
    counts,
    series,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}
