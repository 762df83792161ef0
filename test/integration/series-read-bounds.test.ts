import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Series reads (issue #11): without toDeltaTime they stop at the current time, as the reference does;
 * a range holding more than series.maxPointsPerRead points is refused before anything is sent.
 */
const LIMIT = 2500;
let t: ApiTestApp;
let u: TestUser;

beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_SERIES__MAX_POINTS_PER_READ: String(LIMIT) });
  u = await t.createUser();
  const res = await req('POST', 'streams', { id: 'heart', name: 'Heart' });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

async function req(method: 'GET' | 'POST', path: string, payload?: object) {
  const res = await t.app.inject({ method, url: `/${u.username}/${path}`, headers: { authorization: u.token }, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.json() };
}
async function holder(time: number): Promise<string> {
  const res = await req('POST', 'events', { streamIds: ['heart'], type: 'series:frequency/bpm', time });
  expect(res.status).toBe(201);
  return res.body.event.id as string;
}
async function write(id: string, points: number[][]): Promise<void> {
  const res = await req('POST', `events/${id}/series`, { format: 'flatJSON', fields: ['deltaTime', 'value'], points });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}
const deltaTimes = (body: { points: number[][] }): number[] => body.points.map((p) => p[0] ?? -1);

describe('series reads stop at the current time', () => {
  it('leaves out points dated after now unless toDeltaTime asks for them', async () => {
    const now = Date.now() / 1000;
    const id = await holder(now - 100);
    // 50 s ago, 10 s ago, in 1 h, in 1 day.
    await write(id, [[50, 1], [90, 2], [3700, 3], [86_500, 4]]);
    const read = await req('GET', `events/${id}/series`);
    expect(read.status).toBe(200);
    expect(deltaTimes(read.body)).toEqual([50, 90]);
    expect(deltaTimes((await req('GET', `events/${id}/series?fromDeltaTime=60`)).body)).toEqual([90]);
    expect(deltaTimes((await req('GET', `events/${id}/series?toDeltaTime=1000000`)).body)).toEqual([50, 90, 3700, 86_500]);
  });

  it('answers nothing for a holder dated in the future', async () => {
    const id = await holder(Date.now() / 1000 + 3600);
    await write(id, [[0, 1], [1, 2]]);
    expect((await req('GET', `events/${id}/series`)).body.points).toEqual([]);
    expect(deltaTimes((await req('GET', `events/${id}/series?toDeltaTime=2`)).body)).toEqual([0, 1]);
  });
});

describe('series.maxPointsPerRead', () => {
  let id: string;
  beforeAll(async () => {
    id = await holder(Date.now() / 1000 - 86_400);
    // Three writes of 1,000: three stored chunks (0–999, 1000–1999, 2000–2999).
    for (let from = 0; from < 3000; from += 1000) await write(id, Array.from({ length: 1000 }, (_, i) => [from + i, i % 90]));
  });

  it('refuses a range holding more points, with the limit and the count, before sending any point', async () => {
    const res = await req('GET', `events/${id}/series`);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ id: 'too-many-results', data: { limit: LIMIT, count: 3000 } });
    expect(res.body.error.message).toMatch(/fromDeltaTime/);
  });

  it('counts edge chunks exactly: a range just under the limit is answered in full', async () => {
    const res = await req('GET', `events/${id}/series?fromDeltaTime=500&toDeltaTime=3000`);
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(2500);
    const over = await req('GET', `events/${id}/series?fromDeltaTime=499&toDeltaTime=3000`);
    expect(over.status).toBe(413);
    expect(over.body.error.data).toEqual({ limit: LIMIT, count: 2501 });
  });

  it('reads a large series in parts', async () => {
    const first = await req('GET', `events/${id}/series?toDeltaTime=1500`);
    const second = await req('GET', `events/${id}/series?fromDeltaTime=1500`);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect([...deltaTimes(first.body), ...deltaTimes(second.body)]).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
