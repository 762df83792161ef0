import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Shared secrets (reference: "Shared secrets", methods sharedSecrets.create / retrieve / getOne):
 * one-time keys `<id>.<randomHalf>` handing a secret to a third party. Only the SHA-256 of the
 * random half is kept, so the clear key exists only in the creation answer. Pure rules, no I/O.
 */

export type SharedSecretStatus = 'pending' | 'consumed' | 'discarded';
export type SignatureType = 'secret' | 'hmac-sha256';

export interface OnConsumed {
  message: string;
  returnUrl?: string;
}

export interface StatusEntry {
  status: SharedSecretStatus;
  time: number;
  /** Why an item was discarded: `expired` or `signature-mismatch`. */
  info?: string;
}

/** What is kept for the status method and the refusals; never the secret. */
export interface SharedSecretRecord {
  id: string;
  keyHash: string;
  title: string;
  onConsumed: OnConsumed;
  signatureType?: SignatureType;
  /** Base id of the access that created it (only it, or a personal access, may read the status). */
  accessId: string;
  expires: number;
  statusHistory: StatusEntry[];
}

/** The part consumed once: scrubbed when the item stops being pending. */
export interface SharedSecretPayload {
  secret: unknown;
  signature?: { type: SignatureType; value: string };
}

export interface CreateParams {
  ttl?: number;
  title?: string;
  onConsumed?: { message?: string; returnUrl?: string };
  secret?: unknown;
  signature?: { type?: string; value?: string };
  keyHash?: string;
}

export interface Limits {
  maxTtl: number;
  maxSizeBytes: number;
}

/** A create refusal: its reference id (sent in `error.data.id`) and message. */
export interface Invalid {
  id: string;
  message: string;
}

const RANDOM_HALF = /^[A-Za-z0-9_-]{32,128}$/;
const ITEM_ID = /^[a-z][a-z0-9]{1,63}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function httpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The reference's checks of sharedSecrets.create, in its order; null when the params are fine. */
export function validateCreate(p: CreateParams, limits: Limits): Invalid | null {
  if (p.ttl === undefined || !Number.isFinite(p.ttl) || p.ttl <= 0) return { id: 'shared-secret-invalid-ttl', message: '`ttl` must be a number of seconds greater than 0.' };
  if (p.ttl > limits.maxTtl) return { id: 'shared-secret-ttl-too-long', message: `\`ttl\` must not exceed ${limits.maxTtl} seconds.` };
  if (p.title === undefined || p.title.trim() === '') return { id: 'shared-secret-invalid-title', message: '`title` is required.' };
  const oc = p.onConsumed;
  if (oc === undefined || typeof oc.message !== 'string' || oc.message === '') return { id: 'shared-secret-invalid-on-consumed', message: '`onConsumed.message` is required.' };
  if (oc.returnUrl !== undefined && !httpUrl(oc.returnUrl)) return { id: 'shared-secret-invalid-return-url', message: '`onConsumed.returnUrl` must be an http(s) URL.' };
  if (p.secret === undefined || p.secret === null) return { id: 'shared-secret-missing-secret', message: '`secret` is required (any JSON value but null).' };
  if (Buffer.byteLength(JSON.stringify(p.secret), 'utf8') > limits.maxSizeBytes) {
    return { id: 'shared-secret-too-large', message: `\`secret\` must not exceed ${limits.maxSizeBytes} bytes once serialized.` };
  }
  const s = p.signature;
  if (s !== undefined && ((s.type !== 'secret' && s.type !== 'hmac-sha256') || typeof s.value !== 'string' || s.value === '')) {
    return { id: 'shared-secret-invalid-signature', message: '`signature` must be {type: "secret" | "hmac-sha256", value}.' };
  }
  if (p.keyHash !== undefined && !HEX_SHA256.test(p.keyHash)) return { id: 'shared-secret-invalid-key-hash', message: '`keyHash` must be a lowercase hex SHA-256.' };
  return null;
}

export function hashRandomHalf(half: string): string {
  return createHash('sha256').update(half, 'utf8').digest('hex');
}

/** A server-minted random half: 32 bytes, base64url (43 characters). */
export function mintRandomHalf(): string {
  return randomBytes(32).toString('base64url');
}

/** `<id>.<randomHalf>`, or null for anything else (the caller answers the uniform refusal). */
export function parseKey(key: unknown): { id: string; half: string } | null {
  if (typeof key !== 'string') return null;
  const dot = key.indexOf('.');
  const id = key.slice(0, dot);
  const half = key.slice(dot + 1);
  return dot > 0 && ITEM_ID.test(id) && RANDOM_HALF.test(half) ? { id, half } : null;
}

/** Constant-time string equality (hash and proof comparisons). */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function currentStatus(r: SharedSecretRecord): SharedSecretStatus {
  return r.statusHistory[r.statusHistory.length - 1]?.status ?? 'pending';
}

export function withStatus(r: SharedSecretRecord, status: SharedSecretStatus, time: number, info?: string): SharedSecretRecord {
  return { ...r, statusHistory: [...r.statusHistory, info === undefined ? { status, time } : { status, time, info }] };
}

/** The item as the API shows it: `{id, title, status, statusHistory, onConsumed, expires}` (+ signatureType, expired). */
export function publicView(r: SharedSecretRecord, now: number): Record<string, unknown> {
  const status = currentStatus(r);
  const expired = status === 'pending' && now > r.expires;
  return {
    id: r.id,
    title: r.title,
    status: expired ? 'discarded' : status,
    statusHistory: r.statusHistory,
    onConsumed: r.onConsumed,
    expires: r.expires,
    ...(r.signatureType === undefined ? {} : { signatureType: r.signatureType }),
    ...(expired ? { expired: true } : {}),
  };
}
