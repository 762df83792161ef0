import { describe, expect, it } from 'vitest';
import { hashRandomHalf, mintRandomHalf, parseKey, publicView, sameString, validateCreate, withStatus, type SharedSecretRecord } from '../../../src/domain/shared-secrets.js';

const LIMITS = { maxTtl: 100, maxSizeBytes: 20 };
const OK = { ttl: 10, title: 't', onConsumed: { message: 'm' }, secret: { a: 1 } };

describe('shared secrets rules', () => {
  it('keys are <id>.<32–128 base64url characters>; anything else is null', () => {
    const half = mintRandomHalf();
    expect(half).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseKey(`abc123.${half}`)).toEqual({ id: 'abc123', half });
    for (const bad of [undefined, 42, '', half, `.${half}`, `abc.${'a'.repeat(31)}`, `abc.${'a'.repeat(129)}`, `abc.${'a'.repeat(40)}=`, `ABC.${half}`, `a.b.${half}`]) {
      expect(parseKey(bad)).toBeNull();
    }
  });

  it.each([
    [{ ...OK, ttl: 0 }, 'shared-secret-invalid-ttl'],
    [{ ...OK, ttl: 101 }, 'shared-secret-ttl-too-long'],
    [{ ...OK, title: ' ' }, 'shared-secret-invalid-title'],
    [{ ...OK, onConsumed: {} }, 'shared-secret-invalid-on-consumed'],
    [{ ...OK, onConsumed: { message: 'm', returnUrl: 'ftp://x' } }, 'shared-secret-invalid-return-url'],
    [{ ...OK, secret: undefined }, 'shared-secret-missing-secret'],
    [{ ...OK, secret: 'x'.repeat(19) }, 'shared-secret-too-large'],
    [{ ...OK, signature: { type: 'secret' } }, 'shared-secret-invalid-signature'],
    [{ ...OK, keyHash: 'A'.repeat(64) }, 'shared-secret-invalid-key-hash'],
  ])('%# → %s', (params, id) => {
    expect(validateCreate(params, LIMITS)?.id).toBe(id);
  });

  it('accepts a complete item; hashes compare in constant time', () => {
    expect(validateCreate({ ...OK, keyHash: hashRandomHalf('x'.repeat(40)), signature: { type: 'hmac-sha256', value: 'v' } }, LIMITS)).toBeNull();
    expect(sameString('abc', 'abc')).toBe(true);
    expect(sameString('abc', 'abd')).toBe(false);
    expect(sameString('abc', 'abcd')).toBe(false);
  });

  it('the view says discarded + expired past the ttl while still pending; the last status otherwise', () => {
    const r: SharedSecretRecord = { id: 'i', keyHash: 'h', title: 't', onConsumed: { message: 'm' }, accessId: 'a', expires: 100, statusHistory: [{ status: 'pending', time: 90 }] };
    expect(publicView(r, 99)).toMatchObject({ status: 'pending' });
    expect(publicView(r, 99)).not.toHaveProperty('expired');
    expect(publicView(r, 101)).toMatchObject({ status: 'discarded', expired: true });
    expect(publicView(withStatus(r, 'consumed', 95), 101)).toMatchObject({ status: 'consumed' });
    expect(publicView(r, 99)).not.toHaveProperty('keyHash');
  });
});
