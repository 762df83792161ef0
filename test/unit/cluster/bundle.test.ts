import { describe, expect, it } from 'vitest';
import { BundleError, newPassphrase, openBundle, sealBundle, type BundlePayload, type CertificatePayload, type KeysPayload } from '../../../src/cluster/bundle.js';
import { evenVotersProblem } from '../../../src/cluster/membership.js';

const payload: BundlePayload = {
  v: 1, kind: 'join',
  core: { id: 'core-b', url: 'https://core-b.example.com/', ip: '10.0.0.12', hosting: 'eu-1', zone: null, raftAddress: '10.0.0.12:4002' },
  issuer: { id: 'core-a', url: 'https://core-a.example.com/' },
  token: 'token.secret-1', expiresAt: 1_900_000_000_000,
  tls: { ca: 'CA', cert: 'CERT', key: 'key.secret-2' }, join: ['10.0.0.11:4002'], rqlitePassword: 'password.secret-3', config: {},
};

type Sealed = { header: string; data: string; tag: string };
const flip = (b64: string, at: number): string => {
  const buf = Buffer.from(b64, 'base64');
  buf[at] = (buf[at] ?? 0) ^ 1;
  return buf.toString('base64');
};

describe('bootstrap bundle (scrypt + AES-256-GCM, header as AAD)', () => {
  const pass = newPassphrase();
  const sealed = sealBundle(payload, pass);
  const parts = JSON.parse(sealed) as Sealed;

  it('round-trips, and leaks neither passphrase nor secrets in clear', () => {
    expect(openBundle(sealed, pass)).toEqual(payload);
    expect(pass).toMatch(/^[\w-]{22}$/);
    // Secrets with '.' and '-', which base64 never holds: a match cannot be the ciphertext's chance.
    for (const secret of ['key.secret-2', 'token.secret-1', 'password.secret-3', pass]) expect(sealed).not.toContain(secret);
  });

  it.each([
    ['a wrong passphrase', (s: Sealed) => s, 'other-passphrase', /wrong passphrase, or the bundle was tampered with/],
    ['one flipped ciphertext bit', (s: Sealed) => ({ ...s, data: flip(s.data, 5) }), null, /tampered/],
    ['a flipped tag bit', (s: Sealed) => ({ ...s, tag: flip(s.tag, 0) }), null, /tampered/],
    ['an edited header (expiry)', (s: Sealed) => ({ ...s, header: Buffer.from(Buffer.from(s.header, 'base64').toString().replace('1900000000000', '1900000000001')).toString('base64') }), null, /tampered/],
    ['a downgraded KDF', (s: Sealed) => ({ ...s, header: Buffer.from(Buffer.from(s.header, 'base64').toString().replace('"N":32768', '"N":1024')).toString('base64') }), null, /unexpected KDF parameters/],
    ['garbage', () => 'nope', null, /not a homecore bundle/],
  ])('refuses %s', (_name, edit, otherPass, message) => {
    const text = typeof edit(parts) === 'string' ? String(edit(parts)) : JSON.stringify(edit(parts));
    expect(() => openBundle(text, otherPass ?? pass)).toThrow(BundleError);
    expect(() => openBundle(text, otherPass ?? pass)).toThrow(message);
  });

  it('refuses a certificate bundle where a join bundle is expected, and the other way round', () => {
    const cert: CertificatePayload = { v: 1, kind: 'certificate', core: { id: 'core-b' }, expiresAt: 1, tls: { cert: 'C', key: 'K' } };
    expect(() => openBundle(sealBundle(cert, pass), pass)).toThrow('this is a certificate bundle, not a join bundle');
    expect(() => openBundle(sealed, pass, 'certificate')).toThrow('this is a join bundle, not a certificate bundle');
  });
});

describe('promote-core voter arithmetic', () => {
  it('accepts odd voter counts and explains why an even one is refused', () => {
    expect(evenVotersProblem(3)).toBeNull();
    expect(evenVotersProblem(1)).toBeNull();
    expect(evenVotersProblem(2)).toMatch(/^that would leave 2 voters: a quorum of 2 needs 2 of them, so it survives only 0 failures, like 1 voters/);
    expect(evenVotersProblem(4)).toMatch(/survives only 1 failure, like 3 voters/);
  });
});

describe('key export (the bundle format, kind "keys"; issue #12)', () => {
  it('round-trips a key set without any key in clear, and opens only as a key export', { timeout: 30_000 }, async () => {
    const { newKeySet } = await import('../../../src/secrets/key-ring.js');
    const keys = newKeySet();
    const exported: KeysPayload = { v: 1, kind: 'keys', core: { id: 'core-a' }, expiresAt: 1_900_000_000_000, exportId: 'export-1', keys };
    const pass = newPassphrase();
    const sealed = sealBundle(exported, pass);
    expect(openBundle(sealed, pass, 'keys')).toEqual(exported);
    for (const e of Object.values(keys.keys).flat()) expect(sealed).not.toContain(e.key);
    expect(() => openBundle(sealed, pass)).toThrow(/keys bundle, not a join bundle/);
    expect(() => openBundle(sealBundle(payload, pass), pass, 'keys')).toThrow(/join bundle, not a keys bundle/);
  });
});
