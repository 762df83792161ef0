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

let t: ApiTestApp;
let far: Server;
let farUrl: string;
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
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ username: body['username'], apiEndpoint: `${farUrl}${String(body['username'])}/`, meta: { from: 'far' } }));
    });
  });
  await new Promise<void>((resolve) => far.listen(0, '127.0.0.1', resolve));
  const address = far.address();
  farUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
});

afterAll(async () => {
  await t?.rqlite.execute([['DELETE FROM cores WHERE id IN (?, ?)', SELF, FAR]]).catch(() => undefined);
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

  it('forwards to a less-loaded core of the hosting and relays its answer', async () => {
    await t.services.platform.cores.upsert({ id: FAR, url: farUrl, hosting: HOSTING, available: true });
    const username = randomUsername('pl');
    const res = await register(username);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ username, apiEndpoint: `${farUrl}${username}/`, meta: { from: 'far' } });
    expect(received).toHaveLength(1);
    expect(received[0]?.body['username']).toBe(username);
    // Bound to this core, the target, the user, a near expiry and a nonce.
    const [coreId, expires, nonce] = String(received[0]?.headers['x-homecore-placed-by']).split(':');
    expect(coreId).toBe(SELF);
    expect(Number(expires) - Date.now() / 1000).toBeLessThanOrEqual(PLACEMENT_TTL_SECONDS);
    expect(received[0]?.headers['x-homecore-placed-by']).toBe(placementProof(t.services, SELF, FAR, username, { expires: Number(expires), nonce }));
    // Nothing was written here: the chosen core registers the user itself.
    expect(await t.services.platform.coreOf(username)).toBeNull();
    expect(await t.services.stores.users.getByUsername(username)).toBeNull();
  });

  it('keeps a call another core already placed here, whatever the load', async () => {
    const username = randomUsername('pl');
    const res = await register(username, { 'x-homecore-placed-by': placementProof(t.services, FAR, SELF, username) });
    expect(res.statusCode).toBe(201);
    expect(await t.services.platform.coreOf(username)).toBe(SELF);
  });

  it.each([
    ['forged', () => `${FAR}:${Math.floor(Date.now() / 1000) + 30}:${'n'.repeat(22)}:not-a-valid-mac`, 'not-authentic'],
    ['malformed', () => `${FAR}:not-a-valid-mac`, 'malformed'],
    ['made for another core', (u: string) => placementProof(t.services, FAR, `other-${suffix}`, u), 'not-authentic'],
    ['made for another user', () => placementProof(t.services, FAR, SELF, randomUsername('pl')), 'not-authentic'],
    ['expired', (u: string) => placementProof(t.services, FAR, SELF, u, { expires: Math.floor(Date.now() / 1000) - 1 }), 'expired'],
    ['too far in the future', (u: string) => placementProof(t.services, FAR, SELF, u, { expires: Math.floor(Date.now() / 1000) + 3600 }), 'expired'],
  ])('refuses a %s placement proof with 403, placing and writing nothing', async (_n, proof, reason) => {
    const before = received.length;
    const username = randomUsername('pl');
    const res = await register(username, { 'x-homecore-placed-by': proof(username) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ id: 'forbidden', data: { reason } });
    expect(received).toHaveLength(before);
    expect(await t.services.platform.coreOf(username)).toBeNull();
  });

  it('refuses a replayed placement proof (issue #16)', async () => {
    const username = randomUsername('pl');
    const proof = placementProof(t.services, FAR, SELF, username);
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
