import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLen: 32 };
const scryptAsync = (password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT.keyLen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) =>
      err === null ? resolve(key) : reject(err),
    );
  });

/** Memory-hard password hash: `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || n === undefined || r === undefined || p === undefined || salt === undefined || hash === undefined) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
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

/**
 * Token handling with one secret: a keyed hash finds an access by token (the database never holds a
 * usable token), and AES-256-GCM keeps the token itself for the places the API must show it.
 */
export class TokenVault {
  private readonly hashKey: Buffer;
  private readonly encKey: Buffer;

  constructor(secret: string) {
    const ikm = Buffer.from(secret, 'utf8');
    this.hashKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'homecore token lookup', 32));
    this.encKey = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'homecore token at rest', 32));
  }

  lookupHash(token: string): string {
    return createHmac('sha256', this.hashKey).update(token).digest('base64url');
  }

  encrypt(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
  }

  decrypt(sealed: string): string {
    const [iv, tag, ct] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (iv === undefined || tag === undefined || ct === undefined) throw new Error('malformed sealed token');
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  }

  /** Keyed MAC for attachment read tokens and password-reset tokens. */
  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.hashKey).update(`${purpose}\0${value}`).digest('base64url');
  }
}
