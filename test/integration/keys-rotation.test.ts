import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reseal, RESEALABLE } from '../../src/cli/keys/reseal.js';
import { keysFile, writeKeySetFile } from '../../src/secrets/core-secrets.js';
import { retireOldKeys, rotateKeySet, type KeyName, type KeySet } from '../../src/secrets/key-ring.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { signatureIsValid, startReceiver, waitFor, type Receiver } from '../helpers/webhook-receiver.js';

/**
 * Issue #12 (keys): a rotation leaves every token, sealed secret and signature made before it valid,
 * new ones carry the new key id; `reseal` moves stored data to the current keys, after which the
 * older ones can be retired without breaking anything. A real API app on PostgreSQL, its key ring
 * read from {varDir}/secrets/keys.json as a worker's is.
 */
let t: ApiTestApp;
let hooks: Receiver;
beforeAll(async () => {
  hooks = await startReceiver(() => 200);
  t = await createApiTestApp({ HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]', HOMECORE_WEBHOOKS__MIN_INTERVAL_MS: '0' });
});
afterAll(async () => {
  await t?.close();
  await hooks?.close();
});

/** Writes the set as bin/keys does and waits until the app's ring has taken it. */
async function install(set: KeySet): Promise<void> {
  writeKeySetFile(keysFile(t.config), set);
  const want = set.keys['token-lookup'].map((e) => e.id).join();
  await expect.poll(() => t.services.vault.ring.snapshot().keys['token-lookup'].map((e) => e.id).join(), { timeout: 10_000, interval: 100 }).toBe(want);
}
async function rotate(): Promise<Record<string, string>> {
  const { set, added } = rotateKeySet(t.services.vault.ring.snapshot());
  await install(set);
  return added;
}

const accessInfo = (u: TestUser, token: string) => t.app.inject({ method: 'GET', url: `/${u.username}/access-info`, headers: { authorization: token } });

async function createHook(u: TestUser, token: string): Promise<{ id: string; secret: string }> {
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}/webhooks`, headers: { authorization: token }, payload: { url: `${hooks.url}?${Math.random()}` } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().webhook;
}

/** webhooks.test, then the receiver's call for that hook: signed with `secret`? */
async function signedWith(u: TestUser, token: string, hook: { id: string; secret: string }): Promise<boolean> {
  const before = hooks.calls.length;
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}/webhooks/${hook.id}/test`, headers: { authorization: token }, payload: {} });
  expect(res.statusCode, res.body).toBe(200);
  const call = await waitFor('the test call', () => hooks.calls.slice(before).find((c) => c.headers['homecore-webhook-id'] === hook.id));
  return signatureIsValid(hook.secret, call.headers['homecore-signature'], call.body);
}

async function storedAccess(u: TestUser, id: string) {
  const a = await t.services.stores.accesses.getById(u.user.id, id);
  if (a === null) throw new Error(`access ${id} not stored`);
  return a;
}
const keyIdOf = (stored: string): string => stored.split('.')[0] ?? '';

describe('bin/keys rotate', () => {
  it('keeps tokens and webhook signatures made before valid; new ones use the new key ids', async () => {
    const u = await t.createUser();
    const before = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }] });
    const oldHook = await createHook(u, before.token);
    const oldStored = await storedAccess(u, before.id);
    expect(oldStored.tokenHash).not.toContain('.');

    const added = await rotate();
    expect((await accessInfo(u, before.token)).statusCode).toBe(200);
    expect((await accessInfo(u, u.token)).statusCode).toBe(200);
    expect(await signedWith(u, before.token, oldHook)).toBe(true);

    const created = await t.app.inject({
      method: 'POST', url: `/${u.username}/accesses`, headers: { authorization: u.token },
      payload: { type: 'app', name: 'after-rotation', permissions: [{ streamId: '*', level: 'read' }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const after = created.json().access as { id: string; token: string };
    const stored = await storedAccess(u, after.id);
    expect(keyIdOf(stored.tokenHash)).toBe(added['token-lookup']);
    expect(keyIdOf(stored.tokenSealed)).toBe(added['token-sealing']);
    expect((await accessInfo(u, after.token)).statusCode).toBe(200);
    // accesses.get shows tokens: unsealed under either key.
    const listed = await t.app.inject({ method: 'GET', url: `/${u.username}/accesses`, headers: { authorization: u.token } });
    const tokens = (listed.json().accesses as { token: string }[]).map((a) => a.token);
    expect(tokens).toEqual(expect.arrayContaining([before.token, after.token]));

    const newHook = await createHook(u, after.token);
    const hookRow = await t.services.stores.webhooks.get(u.user.id, newHook.id);
    expect(keyIdOf(hookRow?.secretSealed ?? '')).toBe(added['webhook-secrets']);
    expect(await signedWith(u, after.token, newHook)).toBe(true);
    // The same token cannot be registered twice, whichever key hashed the first one.
    const dup = await t.app.inject({
      method: 'POST', url: `/${u.username}/accesses`, headers: { authorization: u.token },
      payload: { type: 'shared', name: 'dup', token: before.token, permissions: [{ streamId: '*', level: 'read' }] },
    });
    expect(dup.statusCode).toBe(409);
  });
});

describe('bin/keys reseal', () => {
  it('moves stored tokens, webhook and TOTP secrets to the current keys; older keys then retire without breaking them', async () => {
    const u = await t.createUser();
    const app = await t.createAccess(u, { type: 'app', permissions: [{ streamId: '*', level: 'read' }] });
    const hook = await createHook(u, app.token);
    const vault = t.services.vault;
    await t.services.stores.mfa.activate(u.user.id, { method: 'totp', data: { secretSealed: vault.encrypt('TOTPSECRET') }, recoveryCodeHashes: [], activatedAt: Date.now() / 1000 });
    const added = await rotate();

    const found = await reseal(t.services.stores, vault, false);
    for (const name of RESEALABLE) expect(found.old[name], name).toBeGreaterThan(0);
    const done = await reseal(t.services.stores, vault, true);
    expect(done.resealed).toEqual(done.old);
    const left = await reseal(t.services.stores, vault, false);
    expect(left.old).toEqual(Object.fromEntries(RESEALABLE.map((n) => [n, 0])));

    const stored = await storedAccess(u, app.id);
    expect(keyIdOf(stored.tokenHash)).toBe(added['token-lookup']);
    expect(keyIdOf(stored.tokenSealed)).toBe(added['token-sealing']);
    const totp = (await t.services.stores.mfa.get(u.user.id))?.data['secretSealed'] ?? '';
    expect(keyIdOf(totp)).toBe(added['token-sealing']);

    await install(retireOldKeys(vault.ring.snapshot(), RESEALABLE as KeyName[]).set);
    expect(vault.ring.snapshot().keys['token-lookup']).toHaveLength(1);
    expect((await accessInfo(u, app.token)).statusCode).toBe(200);
    expect(await signedWith(u, app.token, hook)).toBe(true);
    expect(vault.decrypt(totp)).toBe('TOTPSECRET');
    // What is still under a retired key is unreadable: this is why retire waits for reseal.
    expect(() => vault.decrypt(vault.encrypt('x').replace(/^[^.]+\./, 'k0000000.'))).toThrow(/unknown key/);
  });
});
