import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UserDataKind } from '../storage/interfaces/user-data-store.js';
import type { BackupKey, KdfParams, StoredFile } from './codec.js';

/** What bin/restore reads first (docs/operations.md#backup-format). Bump FORMAT_VERSION on any change restore must know of. */
export const FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const PARTIAL_SUFFIX = '.partial';

export interface ManifestUser {
  /** The username, or when encrypted its HMAC (hex) under the manifest key: no name in clear. */
  user: string;
  id: string;
  /** users/<id>.jsonl[.gz][.enc] */
  file: string;
  counts: Partial<Record<UserDataKind, number>> & { attachments?: number; attachmentBytes?: number };
}

export interface Manifest {
  format: 'homecore-backup';
  formatVersion: number;
  coreId: string;
  /** `core`: every user of the core; `user`: one user (`--user`, a portability request). */
  scope: 'core' | 'user';
  startedAt: string;
  finishedAt: string;
  versions: { homecore: string; node: string; engine: string; userSchema: number; platformSchema: number };
  codec: { gzip: boolean; encryption: null | { cipher: 'aes-256-gcm'; kdf: KdfParams } };
  totals: Record<string, number>;
  users: ManifestUser[];
  /** Every file of the backup but this one: path relative to the backup dir → size and SHA-256 as stored. */
  files: Record<string, StoredFile>;
  /** Attachments by content SHA-256 (hex): their stored file. */
  attachments: Record<string, { file: string; size: number }>;
  /** HMAC-SHA256 (hex) of the manifest without this field, under the passphrase's key (encrypted backups only). */
  mac?: string;
}

/** `<core-id>_<yyyy-mm-dd-hhmm>` in UTC. */
export function backupName(coreId: string, at: Date, user: string | null): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}`;
  return user === null ? `${coreId}_${stamp}` : `${coreId}_${stamp}_${user}`;
}

/** The UTC date and time a backup name carries, null when it is not one. */
export function backupTime(name: string): Date | null {
  const m = /_(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})$/.exec(name);
  if (m === null) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi));
}

const body = (m: Manifest): string => JSON.stringify({ ...m, mac: undefined });

export function sealManifest(m: Manifest, key: BackupKey | null): Manifest {
  if (key === null) return m;
  return { ...m, mac: createHmac('sha256', key.mac).update(body(m)).digest('hex') };
}

export function manifestMacValid(m: Manifest, key: BackupKey): boolean {
  if (m.mac === undefined) return false;
  const want = createHmac('sha256', key.mac).update(body(m)).digest();
  const got = Buffer.from(m.mac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** How the manifest names a user: in clear, or keyed when encrypted. */
export function userLabel(username: string, key: BackupKey | null): string {
  return key === null ? username : createHmac('sha256', key.mac).update(`user:${username}`).digest('hex');
}

/** A manifest's shape, checked before anything in it is trusted (a one-line reason when not). */
export function manifestProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'manifest is not a JSON object';
  const m = v as Partial<Manifest>;
  if (m.format !== 'homecore-backup') return 'manifest is not a homecore backup manifest';
  if (typeof m.formatVersion !== 'number') return 'manifest has no formatVersion';
  if (m.formatVersion > FORMAT_VERSION) return `backup format ${m.formatVersion} is newer than this homecore reads (${FORMAT_VERSION})`;
  if (typeof m.files !== 'object' || m.files === null || !Array.isArray(m.users) || typeof m.versions !== 'object' || typeof m.codec !== 'object') {
    return 'manifest lacks files, users, versions or codec';
  }
  if (typeof m.attachments !== 'object' || m.attachments === null) return 'manifest lacks attachments';
  return null;
}
