import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

/**
 * The core's named keys (issue #12, docs/operations.md#keys). Each name has its own list of keys,
 * oldest first: the last one makes new data, every one still reads. A key id travels with what it
 * made (sealed values and lookup hashes carry `<id>.`), so `bin/keys reseal` knows what to redo and
 * old keys can then be retired.
 *
 * - `token-lookup`: keyed hashes that find an access by its token (accesses.tokenHash).
 * - `token-sealing`: AES-256-GCM copies of access tokens, access-request grants, TOTP secrets.
 * - `webhook-secrets`: AES-256-GCM copies of webhook signing secrets.
 * - `read-tokens`: MACs of attachment read tokens.
 * - `reset-macs`: MACs of short-lived records: password reset, email verification, MFA sessions, SMS
 *   and recovery codes, placement proofs between cores.
 */
export const KEY_NAMES = ['token-lookup', 'token-sealing', 'webhook-secrets', 'read-tokens', 'reset-macs'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

export interface KeyEntry {
  /** `k` + 7 hex (generated) or `l` + 7 hex (derived from `auth.tokenSecret`, see legacyKeySet). */
  id: string;
  /** Milliseconds since the epoch. */
  created: number;
  /** 32 bytes, base64url. */
  key: string;
  /** Derived from the former single `tokenSecret`: what it makes keeps the former formats (no key id). */
  legacy?: true;
}

export interface KeySet {
  format: 'homecore-keys';
  v: 1;
  keys: Record<KeyName, KeyEntry[]>;
}

/** One key ready for use. */
export interface Key {
  id: string;
  key: Buffer;
  legacy: boolean;
}

export class KeySetError extends Error {
  override name = 'KeySetError';
}

export const KEY_ID = /^[kl][0-9a-f]{7}$/;

/**
 * The keys the former single secret stood for, derived exactly as before (HKDF-SHA256, empty salt):
 * the lookup key also keyed every MAC, the at-rest key sealed tokens and webhook secrets. So a core
 * upgraded from one `tokenSecret` reads and verifies everything it made before.
 */
export function legacyKeySet(tokenSecret: string, now = Date.now()): KeySet {
  const ikm = Buffer.from(tokenSecret, 'utf8');
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));
  const entry = (key: Buffer): KeyEntry[] => [
    { id: `l${createHash('sha256').update(key).digest('hex').slice(0, 7)}`, created: now, key: key.toString('base64url'), legacy: true },
  ];
  const lookup = derive('homecore token lookup');
  const atRest = derive('homecore token at rest');
  return {
    format: 'homecore-keys',
    v: 1,
    keys: { 'token-lookup': entry(lookup), 'token-sealing': entry(atRest), 'webhook-secrets': entry(atRest), 'read-tokens': entry(lookup), 'reset-macs': entry(lookup) },
  };
}

export function newKeyEntry(now = Date.now()): KeyEntry {
  return { id: `k${randomBytes(4).toString('hex').slice(0, 7)}`, created: now, key: randomBytes(32).toString('base64url') };
}

/** A fresh set (a new core with no former secret). */
export function newKeySet(now = Date.now()): KeySet {
  const keys = Object.fromEntries(KEY_NAMES.map((n) => [n, [newKeyEntry(now)]])) as Record<KeyName, KeyEntry[]>;
  return { format: 'homecore-keys', v: 1, keys };
}

/** A new key for each of `names` (default all), made current; the others stay for reading. */
export function rotateKeySet(set: KeySet, names: readonly KeyName[] = KEY_NAMES, now = Date.now()): { set: KeySet; added: Record<string, string> } {
  const keys = { ...set.keys };
  const added: Record<string, string> = {};
  for (const name of names) {
    const entry = newKeyEntry(now);
    keys[name] = [...keys[name], entry];
    added[name] = entry.id;
  }
  return { set: { ...set, keys }, added };
}

/** Keeps only the current key of each of `names`. */
export function retireOldKeys(set: KeySet, names: readonly KeyName[]): { set: KeySet; retired: string[] } {
  const keys = { ...set.keys };
  const retired: string[] = [];
  for (const name of names) {
    const list = keys[name];
    retired.push(...list.slice(0, -1).map((e) => `${name}/${e.id}`));
    keys[name] = list.slice(-1);
  }
  return { set: { ...set, keys }, retired };
}

/**
 * `incoming` joined to `local`: keys only `local` has stay (older), then `incoming`'s in order, so
 * its current key becomes current. The same id with other material is refused.
 */
export function mergeKeySets(local: KeySet | null, incoming: KeySet): KeySet {
  if (local === null) return incoming;
  const keys = {} as Record<KeyName, KeyEntry[]>;
  for (const name of KEY_NAMES) {
    const byId = new Map(incoming.keys[name].map((e) => [e.id, e]));
    for (const e of local.keys[name]) {
      const other = byId.get(e.id);
      if (other !== undefined && other.key !== e.key) throw new KeySetError(`key ${name}/${e.id} exists here with other material`);
    }
    keys[name] = [...local.keys[name].filter((e) => !byId.has(e.id)), ...incoming.keys[name]];
  }
  return { format: 'homecore-keys', v: 1, keys };
}

/** Parses and checks a key set (file or export); never echoes key material in its errors. */
export function parseKeySet(value: unknown): KeySet {
  const v = value as Partial<KeySet> | null;
  if (v === null || typeof v !== 'object' || v.format !== 'homecore-keys' || v.v !== 1 || typeof v.keys !== 'object' || v.keys === null) {
    throw new KeySetError('not a homecore key set');
  }
  for (const name of KEY_NAMES) {
    const list = (v.keys as Partial<Record<KeyName, unknown>>)[name];
    if (!Array.isArray(list) || list.length === 0) throw new KeySetError(`key set has no ${name} key`);
    const ids = new Set<string>();
    for (const e of list as Partial<KeyEntry>[]) {
      if (typeof e?.id !== 'string' || !KEY_ID.test(e.id) || ids.has(e.id)) throw new KeySetError(`key set: bad or repeated ${name} key id`);
      if (typeof e.key !== 'string' || Buffer.from(e.key, 'base64url').length !== 32) throw new KeySetError(`key set: ${name}/${e.id} is not a 32-byte key`);
      if (typeof e.created !== 'number') throw new KeySetError(`key set: ${name}/${e.id} has no creation time`);
      ids.add(e.id);
    }
  }
  return v as KeySet;
}

/** How often a file-backed ring looks at its file (a rotation reaches running workers within this). */
const RELOAD_CHECK_MS = 1000;

/**
 * A key set in use. File-backed rings re-read the file when it changes (checked at most once a second),
 * so `bin/keys rotate` and `import` reach a running core without a restart.
 */
export class KeyRing {
  private set: KeySet;
  private stamp = '';
  private checkedAt = 0;

  private constructor(
    set: KeySet,
    private readonly file: string | null,
  ) {
    this.set = set;
  }

  static of(set: KeySet): KeyRing {
    return new KeyRing(parseKeySet(set), null);
  }

  static fromTokenSecret(tokenSecret: string): KeyRing {
    return KeyRing.of(legacyKeySet(tokenSecret));
  }

  static fromFile(file: string): KeyRing {
    const ring = new KeyRing(readKeySetFile(file), file);
    ring.stamp = fileStamp(file);
    ring.checkedAt = Date.now();
    return ring;
  }

  /** The current key of `name` (makes new data). */
  current(name: KeyName): Key {
    const list = this.entries(name);
    return toKey(list[list.length - 1] as KeyEntry);
  }

  /** Every key of `name`, current first (reads). */
  all(name: KeyName): Key[] {
    return [...this.entries(name)].reverse().map(toKey);
  }

  byId(name: KeyName, id: string): Key | null {
    const e = this.entries(name).find((k) => k.id === id);
    return e === undefined ? null : toKey(e);
  }

  /** The key derived from the former `tokenSecret`, if this ring still has it. */
  legacy(name: KeyName): Key | null {
    const e = this.entries(name).find((k) => k.legacy === true);
    return e === undefined ? null : toKey(e);
  }

  snapshot(): KeySet {
    this.refresh();
    return this.set;
  }

  private entries(name: KeyName): KeyEntry[] {
    this.refresh();
    return this.set.keys[name];
  }

  private refresh(): void {
    if (this.file === null || Date.now() - this.checkedAt < RELOAD_CHECK_MS) return;
    this.checkedAt = Date.now();
    try {
      const stamp = fileStamp(this.file);
      if (stamp === this.stamp) return;
      this.set = readKeySetFile(this.file);
      this.stamp = stamp;
    } catch {
      // Files are replaced by rename, so a read never sees half a file; a missing or damaged one
      // keeps the keys in memory (the master refuses to start with one).
    }
  }
}

const toKey = (e: KeyEntry): Key => ({ id: e.id, key: Buffer.from(e.key, 'base64url'), legacy: e.legacy === true });

function fileStamp(file: string): string {
  const s = statSync(file);
  return `${s.ino}:${s.mtimeMs}:${s.size}`;
}

export function readKeySetFile(file: string): KeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new KeySetError(`${file}: ${(err as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  try {
    return parseKeySet(parsed);
  } catch (err) {
    throw new KeySetError(`${file}: ${(err as Error).message}`);
  }
}
