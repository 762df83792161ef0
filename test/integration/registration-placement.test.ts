import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp } from '../helpers/api-app.js';
import { PLACEMENT_TTL_SECONDS, placementProof } from '../../src/api/users/placement.js';

/** Placement (Pryv API §4.2): least-loaded available core of the hosting; other cores get the call forwarded. */
const suffix = randomBytes(4).toString('hex');
const HOSTING = `h-${suffix}`;
const SELF = `self-${suffix}`;
const FAR = `far-${suffix}`;
const DEAD = `dead-${suffix}`;

let t: ApiTestApp;
let far: Server;
let farUrl: string;
let farStatus = 201;
const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_CORE__ID: SELF, HOMECORE_REGISTRATION__HOSTING: HOSTING });
  // A stand-in for another core: records what it is sent and answers like a core would.
  far = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      received.push({ headers: req.headers, body });
      res.writeHead(farStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ username: body['username'], apiEndpoint: `${farUrl}${String(body['username'])}/`, meta: { from: 'far' } }));
    });
  });
  await new Promise<void>((resolve) => far.listen(0, '127.0.0.1', resolve));
  const address = far.address();
  farUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
});

afterAll(async () => {
  await t?.rqlite.execute([['DELETE FROM cores WHERE id IN (?, ?, ?)', SELF, FAR, DEAD]]).catch(() => undefined);
  await new Promise<void>((resolve) => far?.close(() => resolve()));
  await t?.close();
});

const register = (username: string, extra: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/reg/users',
    headers: extra,
    payload: { username, password: 'secret-pass', email: `${username}@example.test`, appId: 'placement-test', hosting: HOSTING },
  });

describe('registration placement', () => {
  it('places the user on this core when it is the only available core of the hosting', async () => {
    const username = randomUsername('pl');
    const res = await register(username);
    expect(res.statusCode).toBe(201);
    expect(await t.services.platform.coreOf(username)).toBe(SELF);
    expect(received).toHaveLength(0);
  });

  it('reserves for a less-loaded core of the hosting, forwards with a proof, relays its answer', async () => {
    await t.services.platform.cores.upsert({ id: FAR, url: farUrl, hosting: HOSTING, available: true });
    const username = randomUsername('pl');
    const res = await register(username);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ username, apiEndpoint: `${farUrl}${username}/`, meta: { from: 'far' } });
    expect(received).toHaveLength(1);
    expect(received[0]?.body['username']).toBe(username);
    // Bound to this core, the target, the user, a near expiry and the registration id.
    const proof = String(received[0]?.headers['x-homecore-placed-by']);
    const [coreId, expires, regId = ''] = proof.split(':');
    expect(coreId).toBe(SELF);
    expect(Number(expires) - Date.now() / 1000).toBeLessThanOrEqual(PLACEMENT_TTL_SECONDS);
    expect(proof).toBe(placementProof(t.services, SELF, FAR, username, regId, { expires: Number(expires) }));
    // The reservation is for FAR, by that registration id; no user row here.
    expect(await t.services.platform.registrations.readBack(username, regId)).toMatchObject({ coreId: FAR });
    expect(await t.services.stores.users.getByUsername(username)).toBeNull();
  });

  it('creates a user another core reserved here, and confirms the reservation', async () => {
    const username = randomUsername('pl');
    const reservation = await t.services.platform.registrations.reserve(username, `r-${username}`, { coreId: SELF }, { email: `${username}@example.test` });
    const res = await register(username, { 'x-homecore-placed-by': placementProof(t.services, FAR, SELF, username, reservation.regId) });
    expect(res.statusCode).toBe(201);
    expect(await t.services.platform.homeCoreOf(username)).toMatchObject({ coreId: SELF });
    expect(await t.services.stores.users.getByUsername(username)).not.toBeNull();
  });

  it('answers a retriable 503 for an authentic proof whose reservation is gone', async () => {
    const username = randomUsername('pl');
    const res = await register(username, { 'x-homecore-placed-by': placementProof(t.services, FAR, SELF, username, 'released-id') });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.id).toBe('api-unavailable');
    expect(await t.services.stores.users.getByUsername(username)).toBeNull();
  });

  it.each([
    ['forged', () => `${FAR}:${Math.floor(Date.now() / 1000) + 30}:${'n'.repeat(22)}:not-a-valid-mac`, 'not-authentic'],
    ['malformed', () => `${FAR}:not-a-valid-mac`, 'malformed'],
    ['made for another core', (u: string) => placementProof(t.services, FAR, `other-${suffix}`, u, 'reg-id-other'), 'not-authentic'],
    ['made for another user', () => placementProof(t.services, FAR, SELF, randomUsername('pl'), 'reg-id-user'), 'not-authentic'],
    ['expired', (u: string) => placementProof(t.services, FAR, SELF, u, 'reg-id-expired', { expires: Math.floor(Date.now() / 1000) - 1 }), 'expired'],
    ['too far in the future', (u: string) => placementProof(t.services, FAR, SELF, u, 'reg-id-future', { expires: Math.floor(Date.now() / 1000) + 3600 }), 'expired'],
  ])('refuses a %s placement proof with 403, placing and writing nothing', async (_n, proof, reason) => {
    const before = received.length;
    const username = randomUsername('pl');
    const res = await register(username, { 'x-homecore-placed-by': proof(username) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ id: 'forbidden', data: { reason } });
    expect(received).toHaveLength(before);
  });

  it('releases the reservation when the chosen core fails, relaying its error', async () => {
    farStatus = 503;
    try {
      // FAR is now the least loaded again only if it has fewer users: make sure it does.
      await t.rqlite.execute([['UPDATE cores SET user_count = 0 WHERE id = ?', FAR], ['UPDATE cores SET user_count = 1000 WHERE id = ?', SELF]]);
      const username = randomUsername('pl');
      const res = await register(username);
      expect(res.statusCode).toBe(503);
      expect(await t.services.platform.coreOf(username)).toBeNull();
      expect(await t.services.platform.usernameFor('email', `${username}@example.test`)).toBeNull();
    } finally {
      farStatus = 201;
    }
  });

  it('takes an unreachable core out of placement: 503, nothing reserved, and the next registration goes elsewhere', async () => {
    // Port 1 on loopback refuses connections: a killed core whose flag still says available.
    await t.services.platform.cores.upsert({ id: DEAD, url: 'http://127.0.0.1:1/', hosting: HOSTING, available: true });
    await t.rqlite.execute([['UPDATE cores SET user_count = -1 WHERE id = ?', DEAD]]);
    const username = randomUsername('pl');
    const res = await register(username);
    expect([res.statusCode, res.json().error.id]).toEqual([503, 'api-unavailable']);
    expect(await t.services.platform.coreOf(username)).toBeNull();
    expect((await t.services.platform.cores.get(DEAD))?.available).toBe(false);
    const next = randomUsername('pl');
    expect((await register(next)).statusCode).toBe(201);
    expect(await t.services.platform.coreOf(next)).not.toBe(DEAD);
  });

  it('refuses a replayed placement proof (issue #16)', async () => {
    const username = randomUsername('pl');
    const reservation = await t.services.platform.registrations.reserve(username, `r-${username}`, { coreId: SELF }, { email: `${username}@example.test` });
    const proof = placementProof(t.services, FAR, SELF, username, reservation.regId);
    expect((await register(username, { 'x-homecore-placed-by': proof })).statusCode).toBe(201);
    // Checked before anything else: the same answer whether the user still exists or not.
    const replay = await register(username, { 'x-homecore-placed-by': proof });
    expect(replay.statusCode).toBe(403);
    expect(replay.json().error).toMatchObject({ id: 'forbidden', data: { reason: 'replayed' } });
  });

  it('skips cores marked unavailable', async () => {
    await t.services.platform.cores.upsert({ id: FAR, url: farUrl, hosting: HOSTING, available: false });
    const before = received.length;
    const username = randomUsername('pl');
    expect((await register(username)).statusCode).toBe(201);
    expect(received).toHaveLength(before);
    expect(await t.services.platform.coreOf(username)).toBe(SELF);
  });

  it('refuses a hosting with no core with 400 naming the hosting', async () => {
    const username = randomUsername('pl');
    const res = await t.app.inject({
      method: 'POST',
      url: '/reg/users',
      payload: { username, password: 'secret-pass', email: `${username}@example.test`, appId: 'placement-test', hosting: `nowhere-${suffix}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.data[0]).toMatchObject({ code: 'hosting-invalid', param: 'hosting' });
  });
});
