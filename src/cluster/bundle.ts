import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import type { KeySet } from '../secrets/key-ring.js';

/**
 * The bootstrap bundle: everything a new core needs to join, sealed with a one-time passphrase.
 * scrypt (N=2^15, r=8, p=1) derives an AES-256-GCM key; the header (format, KDF parameters, salt, IV,
 * core id, expiry) is authenticated as AAD, so neither it nor the ciphertext can be edited unnoticed,
 * and KDF parameters cannot be downgraded (notes/rqlite-and-ha.md §4.8).
 */
export interface BundlePayload {
  v: 1;
  kind: 'join';
  core: {
    id: string; url: string; ip: string; hosting: string; zone: string | null; raftAddress: string;
    /** Since platform schema v4 (absent from older bundles: the new core's own config decides). */
    region?: string | null; hostingName?: string | null;
  };
  issuer: { id: string; url: string };
  token: string;
  expiresAt: number;
  tls: { ca: string; cert: string; key: string };
  /** Raft addresses of the cluster members when the bundle was made. */
  join: string[];
  rqlitePassword: string;
  /** The issuing core's key set (src/secrets/key-ring.ts); absent from older bundles, which carried auth.tokenSecret in `config`. */
  keys?: KeySet;
  /** Platform-wide settings copied from the issuing core (platform.*, service.*; auth.tokenSecret in older bundles). */
  config: Record<string, unknown>;
  /**
   * `new-clone`: a further clone of the already running core `core.id` (`core.raftAddress` is the
   * clone's). No token: the core is registered and available already, nothing is acknowledged.
   */
  cloneId?: string;
}

interface Header {
  format: 'homecore-bundle';
  v: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  coreId: string;
  expiresAt: number;
}

export class BundleError extends Error {
  override name = 'BundleError';
}

const N = 2 ** 15;
const MAXMEM = 256 * 1024 * 1024;

const key = (passphrase: string, h: Header): Buffer =>
  scryptSync(passphrase, Buffer.from(h.salt, 'base64'), 32, { N: h.N, r: h.r, p: h.p, maxmem: MAXMEM });

export const newPassphrase = (): string => randomBytes(16).toString('base64url');

/** What every sealed payload carries (the header repeats it, authenticated). */
export interface Sealable {
  v: 1;
  kind: 'join' | 'certificate' | 'keys';
  core: { id: string };
  expiresAt: number;
}

/** A renewed certificate for another core (`renew-cert --id`), installed there with `renew-cert --apply`. */
export interface CertificatePayload extends Sealable {
  kind: 'certificate';
  tls: { cert: string; key: string };
}

/** A core's key set moved to another server (`bin/keys export` / `import`), single use through `exportId`. */
export interface KeysPayload extends Sealable {
  kind: 'keys';
  exportId: string;
  keys: KeySet;
}

export function sealBundle(payload: Sealable, passphrase: string): string {
  const header: Header = {
    format: 'homecore-bundle', v: 1, kdf: 'scrypt', N, r: 8, p: 1,
    salt: randomBytes(16).toString('base64'), iv: randomBytes(12).toString('base64'),
    coreId: payload.core.id, expiresAt: payload.expiresAt,
  };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const cipher = createCipheriv('aes-256-gcm', key(passphrase, header), Buffer.from(header.iv, 'base64'));
  cipher.setAAD(headerBytes);
  const data = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]);
  const sealed = { header: headerBytes.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  return `${JSON.stringify(sealed, null, 1)}\n`;
}

function parseHeader(bytes: Buffer): Header {
  let h: Partial<Header>;
  try {
    h = JSON.parse(bytes.toString('utf8')) as Partial<Header>;
  } catch {
    throw new BundleError('not a homecore bundle (unreadable header)');
  }
  if (h.format !== 'homecore-bundle' || h.v !== 1 || h.kdf !== 'scrypt') throw new BundleError('not a homecore bundle (unknown format)');
  // Bounded: a forged header must not make us burn CPU or memory (it would fail authentication anyway).
  if (h.N !== N || h.r !== 8 || h.p !== 1) throw new BundleError('bundle was tampered with (unexpected KDF parameters)');
  if (typeof h.salt !== 'string' || typeof h.iv !== 'string' || typeof h.coreId !== 'string' || typeof h.expiresAt !== 'number') {
    throw new BundleError('not a homecore bundle (incomplete header)');
  }
  return h as Header;
}

export function openBundle(text: string, passphrase: string): BundlePayload;
export function openBundle(text: string, passphrase: string, kind: 'certificate'): CertificatePayload;
export function openBundle(text: string, passphrase: string, kind: 'keys'): KeysPayload;
export function openBundle(text: string, passphrase: string, kind: Sealable['kind'] = 'join'): BundlePayload | CertificatePayload | KeysPayload {
  let sealed: { header?: unknown; data?: unknown; tag?: unknown };
  try {
    sealed = JSON.parse(text) as typeof sealed;
  } catch {
    throw new BundleError('not a homecore bundle (not JSON)');
  }
  if (typeof sealed.header !== 'string' || typeof sealed.data !== 'string' || typeof sealed.tag !== 'string') {
    throw new BundleError('not a homecore bundle (missing parts)');
  }
  const headerBytes = Buffer.from(sealed.header, 'base64');
  const header = parseHeader(headerBytes);
  const decipher = createDecipheriv('aes-256-gcm', key(passphrase, header), Buffer.from(header.iv, 'base64'));
  decipher.setAAD(headerBytes);
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    throw new BundleError('bundle cannot be opened: wrong passphrase, or the bundle was tampered with');
  }
  const payload = JSON.parse(plain.toString('utf8')) as BundlePayload | CertificatePayload | KeysPayload;
  if (payload.v !== 1 || payload.core?.id !== header.coreId || payload.expiresAt !== header.expiresAt) {
    throw new BundleError('bundle content does not match its header');
  }
  if (payload.kind !== kind) throw new BundleError(`this is a ${payload.kind} bundle, not a ${kind} bundle`);
  return payload;
}
