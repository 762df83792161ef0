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
    ['N = 2^30', (h: string[]) => ((h[1] = String(2 ** 30)), h)],
    ['N not a power of two', (h: string[]) => ((h[1] = '100000'), h)],
    ['N below 2^14', (h: string[]) => ((h[1] = '1024'), h)],
    ['r = 1000', (h: string[]) => ((h[2] = '1000'), h)],
    ['p = 1000', (h: string[]) => ((h[3] = '1000'), h)],
    ['N·r·p over 512 MiB', (h: string[]) => ((h[1] = String(2 ** 20)), (h[2] = '8'), (h[3] = '4'), h)],
    ['p = 0', (h: string[]) => ((h[3] = '0'), h)],
    ['a negative r', (h: string[]) => ((h[2] = '-8'), h)],
    ['an exponent form', (h: string[]) => ((h[1] = '1e5'), h)],
    ['an empty salt', (h: string[]) => ((h[4] = ''), h)],
    ['an extra part', (h: string[]) => [...h, 'x']],
    ['another scheme', (h: string[]) => ((h[0] = 'bcrypt'), h)],
  ])('refuses a stored hash with %s without computing it', async (_n, mutate) => {
    const stored = mutate(legacy('pw', 2 ** 14).split('$')).join('$');
    expect(parseStoredHash(stored)).toBeNull();
    // Computing N = 2^30 would need 128 GiB: a quick false proves nothing was run.
    expect(await verifyPassword('pw', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });
});
