import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/** sharedSecrets.* scenarios (docs/api.md#shared-secrets), as the API reference describes them. */
let t: ApiTestApp;
let off: ApiTestApp;

beforeAll(async () => {
  t = await createApiTestApp({ HOMECORE_SHARED_SECRETS__MAX_TTL: '3600' });
  off = await createApiTestApp({ HOMECORE_SHARED_SECRETS__ENABLED: 'false' });
});
afterAll(async () => {
  await Promise.all([t?.close(), off?.close()]);
});

type Payload = Record<string, unknown>;
type Res = { statusCode: number; json(): Payload & { error?: { id: string; message: string; data?: Payload } } };
const post = (a: ApiTestApp, u: TestUser, path: string, payload: Payload, token?: string): Promise<Res> =>
  a.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: token === undefined ? {} : { authorization: token }, payload });
const errorOf = (res: Res): unknown[] => [res.statusCode, res.json().error?.id, res.json().error?.data?.['id']];
const ITEM = { ttl: 300, title: 'Share my token', onConsumed: { message: 'Already used.', returnUrl: 'https://example.com/back' }, secret: { apiEndpoint: 'https://tok@x.example/' } };

describe('create → retrieve → status', () => {
  it('a minted key redeems once, without a token; then the creator message; status follows', async () => {
    const u = await t.createUser();
    const res = await post(t, u, '/shared-secrets', ITEM, u.token);
    expect(res.statusCode).toBe(201);
    const ss = res.json()['sharedSecret'] as Payload;
    expect(ss).toMatchObject({ status: 'pending', title: 'Share my token', onConsumed: ITEM.onConsumed });
    const key = ss['key'] as string;
    expect(key).toMatch(new RegExp(`^${ss['id'] as string}\\.[A-Za-z0-9_-]{43}$`));
    expect(ss['expires']).toBeCloseTo(((ss['statusHistory'] as { time: number }[])[0]?.time ?? 0) + 300, 3);

    const status = await post(t, u, '/shared-secrets/status', { key }, u.token);
    expect(status.statusCode).toBe(200);
    expect(status.json()['sharedSecret']).toMatchObject({ status: 'pending' });
    expect(status.json()['sharedSecret']).not.toHaveProperty('key');
    expect(JSON.stringify(status.json())).not.toContain('tok@x');

    const got = await post(t, u, '/shared-secrets/retrieve', { key });
    expect(got.statusCode).toBe(200);
    expect(got.json()['secret']).toEqual(ITEM.secret);

    const again = await post(t, u, '/shared-secrets/retrieve', { key });
    expect(errorOf(again)).toEqual([403, 'forbidden', 'shared-secret-unavailable']);
    expect(again.json().error).toMatchObject({ message: 'Already used.', data: { returnUrl: 'https://example.com/back' } });
    const after = (await post(t, u, '/shared-secrets/status', { key }, u.token)).json()['sharedSecret'] as Payload;
    expect(after['status']).toBe('consumed');
    expect((after['statusHistory'] as { status: string }[]).map((s) => s.status)).toEqual(['pending', 'consumed']);
  });

  it('of 8 concurrent redemptions exactly one gets the secret', async () => {
    const u = await t.createUser();
    const key = (await post(t, u, '/shared-secrets', ITEM, u.token)).json()['sharedSecret'] as Payload;
    const all = await Promise.all(Array.from({ length: 8 }, () => post(t, u, '/shared-secrets/retrieve', { key: key['key'] })));
    expect(all.map((r) => r.statusCode).sort()).toEqual([200, 403, 403, 403, 403, 403, 403, 403]);
  });

  it('unknown, malformed, wrong-half keys and another user all get one uniform 404 that burns nothing', async () => {
    const u = await t.createUser();
    const other = await t.createUser();
    const ss = (await post(t, u, '/shared-secrets', ITEM, u.token)).json()['sharedSecret'] as Payload;
    const key = ss['key'] as string;
    const wrongHalf = `${ss['id'] as string}.${'A'.repeat(43)}`;
    for (const [who, k] of [[u, 'nothing'], [u, `${ss['id'] as string}.short`], [u, wrongHalf], [u, `zzzzzzzzzzzzzzzzzzzzzzzz.${key.split('.')[1] ?? ''}`], [other, key]] as const) {
      const res = await post(t, who, '/shared-secrets/retrieve', { key: k });
      expect(errorOf(res)).toEqual([404, 'unknown-resource', undefined]);
      expect(res.json().error?.message).toBe('Unknown shared secret');
    }
    expect(errorOf(await post(t, u, '/shared-secrets/retrieve', {}))).toEqual([404, 'unknown-resource', undefined]);
    expect((await post(t, u, '/shared-secrets/retrieve', { key })).statusCode).toBe(200);
  });
});

describe('create rules', () => {
  it.each([
    [{ ...ITEM, ttl: 0 }, 'shared-secret-invalid-ttl'],
    [{ ...ITEM, ttl: 3601 }, 'shared-secret-ttl-too-long'],
    [{ ...ITEM, title: undefined }, 'shared-secret-invalid-title'],
    [{ ...ITEM, onConsumed: {} }, 'shared-secret-invalid-on-consumed'],
    [{ ...ITEM, onConsumed: { message: 'x', returnUrl: 'javascript:alert(1)' } }, 'shared-secret-invalid-return-url'],
    [{ ...ITEM, secret: null }, 'shared-secret-missing-secret'],
    [{ ...ITEM, secret: 'x'.repeat(5000) }, 'shared-secret-too-large'],
    [{ ...ITEM, signature: { type: 'rsa', value: 'v' } }, 'shared-secret-invalid-signature'],
    [{ ...ITEM, keyHash: 'not-hex' }, 'shared-secret-invalid-key-hash'],
  ])('%# refused with data.id %s', async (body, id) => {
    const u = await t.createUser();
    expect(errorOf(await post(t, u, '/shared-secrets', body, u.token))).toEqual([400, 'invalid-parameters-format', id]);
  });

  it('needs a token; an access with secretSharing: forbidden may not create; status only for its creator or personal', async () => {
    const u = await t.createUser();
    expect(errorOf(await post(t, u, '/shared-secrets', ITEM))).toEqual([401, 'invalid-access-token', undefined]);
    const barred = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }, { feature: 'secretSharing', setting: 'forbidden' }] });
    expect(errorOf(await post(t, u, '/shared-secrets', ITEM, barred.token))).toEqual([403, 'forbidden', 'shared-secret-forbidden']);
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }] });
    const other = await t.createAccess(u, { type: 'shared', permissions: [{ streamId: '*', level: 'read' }] });
    const created = await post(t, u, '/shared-secrets', ITEM, app.token);
    expect(created.statusCode).toBe(201);
    const key = (created.json()['sharedSecret'] as Payload)['key'];
    expect((await post(t, u, '/shared-secrets/status', { key }, app.token)).statusCode).toBe(200);
    expect((await post(t, u, '/shared-secrets/status', { key }, u.token)).statusCode).toBe(200);
    expect(errorOf(await post(t, u, '/shared-secrets/status', { key }, other.token))).toEqual([404, 'unknown-resource', undefined]);
    expect(errorOf(await post(t, u, '/shared-secrets/status', { key }))).toEqual([401, 'invalid-access-token', undefined]);
  });
});

describe('signatures, client key material, expiry', () => {
  it('secret passphrase: a missing proof keeps the item, a wrong one discards it', async () => {
    const u = await t.createUser();
    const signed = { ...ITEM, signature: { type: 'secret', value: 'open sesame' } };
    const a = ((await post(t, u, '/shared-secrets', signed, u.token)).json()['sharedSecret'] as Payload)['key'];
    expect(errorOf(await post(t, u, '/shared-secrets/retrieve', { key: a }))).toEqual([403, 'forbidden', 'shared-secret-unavailable']);
    const ok = await post(t, u, '/shared-secrets/retrieve', { key: a, signature: { type: 'secret', payload: 'open sesame' } });
    expect(ok.json()['secret']).toEqual(ITEM.secret);

    const b = ((await post(t, u, '/shared-secrets', signed, u.token)).json()['sharedSecret'] as Payload)['key'];
    expect(errorOf(await post(t, u, '/shared-secrets/retrieve', { key: b, signature: { type: 'secret', payload: 'wrong' } }))).toEqual([403, 'forbidden', 'shared-secret-unavailable']);
    expect(errorOf(await post(t, u, '/shared-secrets/retrieve', { key: b, signature: { type: 'secret', payload: 'open sesame' } }))).toEqual([403, 'forbidden', 'shared-secret-unavailable']);
    const st = (await post(t, u, '/shared-secrets/status', { key: b }, u.token)).json()['sharedSecret'] as Payload;
    expect(st).toMatchObject({ status: 'discarded', signatureType: 'secret' });
    expect((st['statusHistory'] as { info?: string }[])[1]?.info).toBe('signature-mismatch');
  });

  it('keyHash mode: no key in the answer; {id}.{half} redeems with an hmac-sha256 proof', async () => {
    const u = await t.createUser();
    const half = randomBytes(24).toString('hex');
    const keyHash = createHash('sha256').update(half).digest('hex');
    const { createHmac } = await import('node:crypto');
    const proof = createHmac('sha256', 'verifier').update(half).digest('hex');
    const res = await post(t, u, '/shared-secrets', { ...ITEM, keyHash, signature: { type: 'hmac-sha256', value: proof } }, u.token);
    const ss = res.json()['sharedSecret'] as Payload;
    expect(ss).not.toHaveProperty('key');
    const got = await post(t, u, '/shared-secrets/retrieve', { key: `${ss['id'] as string}.${half}`, signature: { type: 'hmac-sha256', payload: proof } });
    expect(got.json()['secret']).toEqual(ITEM.secret);
  });

  it('past its ttl: status says discarded + expired; retrieval refuses and records the expiry', async () => {
    const u = await t.createUser();
    const ss = (await post(t, u, '/shared-secrets', { ...ITEM, ttl: 0.5 }, u.token)).json()['sharedSecret'] as Payload;
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(t, u, '/shared-secrets/status', { key: ss['key'] }, u.token)).json()['sharedSecret']).toMatchObject({ status: 'discarded', expired: true });
    expect(errorOf(await post(t, u, '/shared-secrets/retrieve', { key: ss['key'] }))).toEqual([403, 'forbidden', 'shared-secret-unavailable']);
  });

  it('switched off: 451 unavailable-method on all three', async () => {
    const u = await off.createUser();
    for (const path of ['/shared-secrets', '/shared-secrets/retrieve', '/shared-secrets/status']) {
      expect(errorOf(await post(off, u, path, {}, u.token))).toEqual([451, 'unavailable-method', undefined]);
    }
  });
});
