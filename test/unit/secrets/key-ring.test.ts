import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenVault } from '../../../src/auth/crypto.js';
import { loadConfig } from '../../../src/config/index.js';
import { installKeySet, keysFile, loadKeyRing, writeKeySetFile } from '../../../src/secrets/core-secrets.js';
import { KeyRing, legacyKeySet, mergeKeySets, newKeySet, parseKeySet, retireOldKeys, rotateKeySet } from '../../../src/secrets/key-ring.js';

/**
 * Issue #12 (keys): the values the former single-secret TokenVault made, computed here exactly as it
 * did (HKDF-SHA256 of auth.tokenSecret, "homecore token lookup" / "homecore token at rest").
 */
function formerVault(secret: string) {
  const ikm = Buffer.from(secret, 'utf8');
  const hashKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'homecore token lookup', 32));
  const encKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'homecore token at rest', 32));
  return {
    lookupHash: (t: string) => createHmac('sha256', hashKey).update(t).digest('base64url'),
    encrypt: (t: string) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', encKey, iv);
      const ct = Buffer.concat([c.update(t, 'utf8'), c.final()]);
      return [iv, c.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
    },
    mac: (purpose: string, v: string) => createHmac('sha256', hashKey).update(`${purpose}\0${v}`).digest('base64url'),
  };
}

const SECRET = 'a-former-token-secret-0123456789-0123456789';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const varDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'homecore-keys-'));
  dirs.push(d);
  return d;
};

describe('keys derived from the former tokenSecret', () => {
  it('read, verify and make exactly what the former single-secret vault did', () => {
    const former = formerVault(SECRET);
    const vault = new TokenVault(KeyRing.fromTokenSecret(SECRET));
    expect(vault.lookupHash('ctoken')).toBe(former.lookupHash('ctoken'));
    expect(vault.lookupHashes('ctoken')).toEqual([former.lookupHash('ctoken')]);
    expect(vault.decrypt(former.encrypt('ctoken'))).toBe('ctoken');
    expect(vault.unseal('webhook-secrets', former.encrypt('whsec_x'))).toBe('whsec_x');
    expect(vault.mac('password-reset', 'u\0t')).toBe(former.mac('password-reset', 'u\0t'));
    expect(vault.mac('attachment-read', 'f\0t')).toBe(former.mac('attachment-read', 'f\0t'));
    // Still the former formats: a downgrade would read them.
    expect(vault.encrypt('x').split('.')).toHaveLength(3);
  });

  it('the first start after the upgrade derives keys.json (0600) from the former token-secret file', () => {
    const dir = varDir();
    mkdirSync(join(dir, 'secrets'), { mode: 0o700 });
    writeFileSync(join(dir, 'secrets', 'token-secret'), SECRET, { mode: 0o600 });
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: dir } });
    expect(() => loadKeyRing(config, { create: false })).toThrow(/missing/);
    const vault = new TokenVault(loadKeyRing(config, { create: true }));
    expect(vault.lookupHash('ctoken')).toBe(formerVault(SECRET).lookupHash('ctoken'));
    expect(statSync(keysFile(config)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
  });

  it('auth.tokenSecret from the config is used the same way; a new core gets random keys', () => {
    const a = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir(), HOMECORE_AUTH__TOKEN_SECRET: SECRET } });
    expect(new TokenVault(loadKeyRing(a, { create: true })).lookupHash('t')).toBe(formerVault(SECRET).lookupHash('t'));
    const b = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir() } });
    const ring = loadKeyRing(b, { create: true });
    expect(ring.current('token-lookup').legacy).toBe(false);
    expect(ring.current('token-lookup').id).toMatch(/^k[0-9a-f]{7}$/);
  });
});

describe('rotation', () => {
  it('new data carries the new key id, older data still reads, and a retired key reads no more', () => {
    const former = formerVault(SECRET);
    const oldHash = former.lookupHash('ctoken');
    const oldSealed = former.encrypt('ctoken');
    const oldMac = former.mac('password-reset', 'x');
    const { set, added } = rotateKeySet(legacyKeySet(SECRET));
    const vault = new TokenVault(KeyRing.of(set));
    expect(vault.lookupHash('ctoken')).toMatch(new RegExp(`^${added['token-lookup']}\\.`));
    expect(vault.lookupHashes('ctoken')).toContain(oldHash);
    expect(vault.lookupHashes('ctoken')[0]).toBe(vault.lookupHash('ctoken'));
    expect(vault.decrypt(oldSealed)).toBe('ctoken');
    const sealed = vault.seal('webhook-secrets', 'whsec_y');
    expect(sealed.startsWith(`${added['webhook-secrets']}.`)).toBe(true);
    expect(vault.unseal('webhook-secrets', sealed)).toBe('whsec_y');
    expect(vault.isCurrent('token-sealing', oldSealed)).toBe(false);
    expect(vault.isCurrent('token-sealing', vault.encrypt('z'))).toBe(true);
    expect(vault.macs('password-reset', 'x')).toContain(oldMac);
    expect(vault.mac('password-reset', 'x')).not.toBe(oldMac);

    const retired = new TokenVault(KeyRing.of(retireOldKeys(set, ['token-sealing', 'token-lookup']).set));
    expect(() => retired.decrypt(oldSealed)).toThrow();
    expect(retired.lookupHashes('ctoken')).not.toContain(oldHash);
    expect(retired.decrypt(vault.encrypt('w'))).toBe('w');
    // Sealing keys are not interchangeable: a token-sealing value does not open as a webhook secret.
    expect(() => vault.unseal('webhook-secrets', vault.encrypt('v'))).toThrow(/unknown key/);
  });

  it('a file-backed ring takes a rotation written to its file', async () => {
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir(), HOMECORE_AUTH__TOKEN_SECRET: SECRET } });
    const ring = loadKeyRing(config, { create: true });
    const before = ring.current('token-lookup').id;
    const { set, added } = rotateKeySet(ring.snapshot());
    writeKeySetFile(keysFile(config), set);
    expect(statSync(keysFile(config)).mode & 0o777).toBe(0o600);
    await expect.poll(() => ring.current('token-lookup').id, { timeout: 5000, interval: 100 }).toBe(added['token-lookup']);
    expect(ring.byId('token-lookup', before)).not.toBeNull();
  });
});

describe('key sets', () => {
  it('merge keeps local-only keys, makes the incoming current keys current, refuses a clashing id', () => {
    const local = rotateKeySet(legacyKeySet(SECRET)).set;
    const incoming = rotateKeySet(legacyKeySet(SECRET)).set;
    const merged = mergeKeySets(local, incoming);
    expect(merged.keys['token-lookup'].map((e) => e.id)).toEqual([
      local.keys['token-lookup'][1]?.id, local.keys['token-lookup'][0]?.id, incoming.keys['token-lookup'][1]?.id,
    ]);
    const clash = structuredClone(incoming);
    (clash.keys['reset-macs'][0] as { key: string }).key = randomBytes(32).toString('base64url');
    expect(() => mergeKeySets(local, clash)).toThrow(/other material/);
  });

  it('installKeySet writes a merged 0600 file; parse errors never echo key material', () => {
    const dir = varDir();
    const set = newKeySet();
    installKeySet(dir, set);
    const file = join(dir, 'secrets', 'keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseKeySet(JSON.parse(readFileSync(file, 'utf8')))).toEqual(set);
    const bad = structuredClone(set);
    const material = 'c2hvcnQ';
    (bad.keys['token-lookup'][0] as { key: string }).key = material;
    try {
      parseKeySet(bad);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain(material);
    }
  });
});
