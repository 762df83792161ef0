import { randomBytes, scryptSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, parseStoredHash, SCRYPT, setScryptConcurrency, verifyPassword } from '../../../src/auth/crypto.js';

/** Issue #16, hole 5: scrypt at OWASP's cost, old hashes still verify, stored parameters bounded. */
const legacy = (password: string, n: number, r = 8, p = 1): string => {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: n, r, p, maxmem: 256 * n * r });
  return ['scrypt', n, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
};

/** A copy of the hash's `$`-separated parts with some replaced. */
const withParts =
  (parts: Record<number, string>) =>
  (h: string[]): string[] => {
    const copy = [...h];
    for (const [index, value] of Object.entries(parts)) copy[Number(index)] = value;
    return copy;
  };

describe('password hashes', () => {
  it('hashes at or above OWASP (N = 2^17, r = 8, p = 1) and verifies', async () => {
    expect(SCRYPT.N).toBeGreaterThanOrEqual(2 ** 17);
    expect(SCRYPT.r).toBeGreaterThanOrEqual(8);
    const h = await hashPassword('correct horse');
    expect(h.startsWith(`scrypt$${2 ** 17}$8$1$`)).toBe(true);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('wrong horse', h)).toBe(false);
    expect(needsRehash(h)).toBe(false);
    // Three hashes of a few hundred ms each, slower on a loaded machine.
  }, 60_000);

  it('hashes on threads of nice 19 (cluster.scryptNice), the event loop keeps its priority', async () => {
    /** nice values of this process's threads, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
    const nices = (): number[] =>
      readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const mainNice = (): string | undefined => readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[16];
    const mainBefore = mainNice();
    expect(mainBefore).not.toBe('19');
    setScryptConcurrency(2, 19);
    // Two hashes at once: two threads (made on demand, then kept), each reniced by itself.
    const hashes = await Promise.all([hashPassword('a'), hashPassword('b')]);
    expect(await verifyPassword('a', hashes[0] as string)).toBe(true);
    expect(nices().filter((n) => n === 19).length).toBeGreaterThanOrEqual(2);
    expect(mainNice()).toBe(mainBefore);
  }, 60_000);

  it('still verifies hashes made with the former parameters (N = 2^15), and marks them for rehash', async () => {
    const old = legacy('old password', 2 ** 15);
    expect(await verifyPassword('old password', old)).toBe(true);
    expect(await verifyPassword('other', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  }, 30_000);

  it.each([
    ['N = 2^30', withParts({ 1: String(2 ** 30) })],
    ['N not a power of two', withParts({ 1: '100000' })],
    ['N below 2^14', withParts({ 1: '1024' })],
    ['r = 1000', withParts({ 2: '1000' })],
    ['p = 1000', withParts({ 3: '1000' })],
    ['N·r·p over 512 MiB', withParts({ 1: String(2 ** 20), 2: '8', 3: '4' })],
    ['p = 0', withParts({ 3: '0' })],
    ['a negative r', withParts({ 2: '-8' })],
    ['an exponent form', withParts({ 1: '1e5' })],
    ['an empty salt', withParts({ 4: '' })],
    ['an extra part', (h: string[]) => [...h, 'x']],
    ['another scheme', withParts({ 0: 'bcrypt' })],
  ])('refuses a stored hash with %s without computing it', async (_n, mutate) => {
    const stored = mutate(legacy('pw', 2 ** 14).split('$')).join('$');
    expect(parseStoredHash(stored)).toBeNull();
    // Computing N = 2^30 would need 128 GiB: a quick false proves nothing was run.
    expect(await verifyPassword('pw', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });
});
