import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { errors } from '../errors/index.js';
import { ScryptThreads } from './scrypt-threads.js';

/**
 * OWASP's scrypt recommendation (Password Storage Cheat Sheet): N = 2^17, r = 8, p = 1, i.e. 128 MiB
 * and a few hundred ms per hash. Hashes made with older parameters still verify (and are upgraded at
 * the next login, `needsRehash`).
 */
export const SCRYPT = { N: 2 ** 17, r: 8, p: 1, keyLen: 32 } as const;
/**
 * What a stored hash may ask for. A hash is data: one with an absurd cost (N = 2^30, p = 1000) must
 * not make the server allocate gigabytes or spin for minutes; it is refused without computing.
 */
const STORED_BOUNDS = { minLogN: 14, maxLogN: 20, maxR: 32, maxP: 16, maxMemBytes: 512 * 1024 * 1024 } as const;

/** scrypt's own need (OpenSSL: 128·r·(N + p + 2) bytes) plus slack: the exact ceiling, never more. */
const maxmemFor = (n: number, r: number, p: number): number => 128 * r * (n + p + 2) + 1024 * 1024;

/**
 * At most `limit` hashes at once per process, queued in order (at most 64 waiting, then 429): each is
 * 128 MiB and hundreds of ms of CPU. They run on low-priority threads (scrypt-threads.ts), never on
 * the event loop nor on libuv's pool (file I/O and DNS keep it).
 */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    public limit: number,
    private readonly maxWaiting: number,
  ) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      // A full line answers at once: a storm must not pile up requests (and memory) behind scrypt.
      if (this.waiting.length >= this.maxWaiting) throw errors.tooManyAttempts(1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
const gate = new Gate(2, 64);
const threads = new ScryptThreads(2, 10);

/**
 * Hashes run at once in this process and the nice value of their threads (config
 * cluster.scryptConcurrency and cluster.scryptNice, set once at start).
 */
export function setScryptConcurrency(limit: number, nice = 10): void {
  gate.limit = Math.max(1, limit);
  threads.configure(gate.limit, nice);
}

const scryptAsync = (password: string, salt: Buffer, n: number, r: number, p: number, keyLen: number = SCRYPT.keyLen): Promise<Buffer> =>
  gate.run(() => threads.hash({ password, salt, keyLen, n, r, p, maxmem: maxmemFor(n, r, p) }));

/** Memory-hard password hash: `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface StoredHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** A stored hash's parts, or null when malformed or outside STORED_BOUNDS. */
export function parseStoredHash(stored: string): StoredHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [n, r, p] = parts.slice(1, 4).map((v) => (/^[1-9][0-9]{0,9}$/.test(v) ? Number(v) : NaN)) as [number, number, number];
  const logN = Math.log2(n);
  if (!Number.isInteger(logN) || logN < STORED_BOUNDS.minLogN || logN > STORED_BOUNDS.maxLogN) return null;
  if (!(r >= 1 && r <= STORED_BOUNDS.maxR && p >= 1 && p <= STORED_BOUNDS.maxP)) return null;
  if (128 * n * r * p > STORED_BOUNDS.maxMemBytes) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || salt.length > 64 || hash.length < 16 || hash.length > 64) return null;
  return { n, r, p, salt, hash };
}

/** False for a wrong password and for a malformed or out-of-bounds stored hash (nothing computed). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parseStoredHash(stored);
  if (h === null) return false;
  const actual = await scryptAsync(password, h.salt, h.n, h.r, h.p, h.hash.length);
  return actual.length === h.hash.length && timingSafeEqual(actual, h.hash);
}

/** A valid hash made with weaker parameters than today's (hashed again at the next login). */
export function needsRehash(stored: string): boolean {
  const h = parseStoredHash(stored);
  return h !== null && (h.n < SCRYPT.N || h.r < SCRYPT.r);
}

/** Constant-time string comparison (admin key, read tokens). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'compare').update(a).digest();
  const hb = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Ids in the cuid2 shape the API uses: a letter then 23 lowercase alphanumerics (≈ 119 random bits). */
export function newId(): string {
  let id = ALPHABET[randomInt(26)] as string;
  for (let i = 0; i < 23; i++) id += ALPHABET[randomInt(36)];
  return id;
}

/** Access tokens: `c` + 24 random lowercase alphanumerics (≈ 124 bits), cuid-like as SDKs expect. */
export function newToken(): string {
  let t = 'c';
  for (let i = 0; i < 24; i++) t += ALPHABET[randomInt(36)];
  return t;
}

export { TokenVault } from './token-vault.js';
