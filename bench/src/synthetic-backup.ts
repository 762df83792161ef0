/**
 * bench/backup --synthetic (docs/benchmarks.md#backup-and-restore): writes a backup directory of
 * N users × M events and their attachments straight in bin/backup's format, so the full data set
 * (1,000 × 1,000 + 1 GB) exists in a minute instead of hours of API seeding (a scrypt hash per
 * registration). Nothing is trusted from here: bin/restore verifies it like any backup (manifest,
 * every file's size and SHA-256) and its integrity check runs after the restore. The format pieces
 * (stream codec, manifest version, schema versions) come from the build under test, not copies.
 *
 * Each user as the API seeding makes one: a `diary` stream, events alternating `note/txt` (a string)
 * and `mass/kg` (a number), one `file/attached` event per file of at most 1 MiB (random bytes), and
 * a platform mapping. Unlike the API seeding: no access rows (nobody logs in to a bench core) and
 * one password hash shared by every user.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface StoredFile { size: number; sha256: string }
type Source = AsyncIterable<string | Buffer> | Iterable<string | Buffer>;

interface Dist {
  writeEncoded(source: Source, path: string, codec: { gzip: boolean; key: null }): Promise<StoredFile>;
  FORMAT_VERSION: number;
  backupName(coreId: string, at: Date, user: string | null): string;
  PG_SCHEMA_VERSION: number;
  PLATFORM_SCHEMA_VERSION: number;
  hashPassword(password: string): Promise<string>;
}

async function loadDist(dist: string): Promise<Dist> {
  const load = async (rel: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(join(dist, rel)).href)) as Record<string, unknown>;
  return {
    ...(await load('src/backup/codec.js')), ...(await load('src/backup/manifest.js')), ...(await load('src/storage/engines/postgresql/schema.js')),
    ...(await load('src/platform/schema.js')), ...(await load('src/auth/crypto.js')),
  } as unknown as Dist;
}

export interface SyntheticOptions { users: number; events: number; attachmentsMb: number; dist: string; parent: string }

/** A cuid-shaped id (25 characters, `c` first), unique per (kind, user, n). */
const cuid = (kind: string, user: number, n: number): string =>
  `c${kind}${user.toString(36).padStart(5, '0')}${n.toString(36).padStart(6, '0')}`.padEnd(25, '0');

/** Lines joined into chunks of about 256 KB (as bin/backup hands them to the file). */
function* chunked(lines: Iterable<string>): Generator<string> {
  let parts: string[] = [];
  let size = 0;
  for (const l of lines) {
    parts.push(l);
    size += l.length;
    if (size >= 256 * 1024) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** Writes the backup; answers its directory. */
export async function writeSyntheticBackup(o: SyntheticOptions): Promise<string> {
  const d = await loadDist(o.dist);
  const coreId = 'synthetic';
  const started = new Date();
  const dir = join(o.parent, d.backupName(coreId, started, null));
  for (const sub of ['users', 'attachments', 'platform', 'config', 'core']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const codec = { gzip: false, key: null } as const;
  const files: Record<string, StoredFile> = {};
  const attachments: Record<string, { file: string; size: number }> = {};
  const passwordHash = await d.hashPassword(randomBytes(12).toString('base64url'));
  const perUser = Math.floor((o.attachmentsMb * (1 << 20)) / Math.max(1, o.users));
  const now = Math.floor(started.getTime() / 1000);
  const users: { user: string; id: string; file: string; counts: Record<string, number> }[] = [];
  const mappings: string[] = [];
  for (let u = 0; u < o.users; u += 1) {
    const id = cuid('u', u, 0);
    const username = `bk${String(u).padStart(6, '0')}`;
    const accessId = cuid('a', u, 0);
    const track = { created: now, createdBy: accessId, modified: now, modifiedBy: accessId };
    const lines: string[] = [
      JSON.stringify({ kind: 'user', user: { id, username, email: `${username}@bench.invalid`, language: 'en', passwordHash, created: now, modified: now } }),
      JSON.stringify({ kind: 'stream', stream: { id: 'diary', parentId: null, name: 'Diary', clientData: null, trashed: false, ...track } }),
    ].map((l) => `${l}\n`);
    for (let i = 0; i < o.events; i += 1) {
      const note = i % 2 === 0;
      const e = { id: cuid('e', u, i), time: now - i * 60, streamIds: ['diary'], type: note ? 'note/txt' : 'mass/kg', content: note ? `bench note ${i}` : 60 + (i % 400) / 10, trashed: false, ...track };
      lines.push(`{"kind":"event","event":${JSON.stringify(e)}}\n`);
    }
    let fileCount = 0;
    for (let left = perUser, n = 0; left > 0; left -= 1 << 20, n += 1) {
      const bytes = randomBytes(Math.min(left, 1 << 20));
      const sha = createHash('sha256').update(bytes);
      const hex = sha.copy().digest('hex');
      const file = `attachments/${hex}`;
      writeFileSync(join(dir, file), bytes, { flag: 'wx' });
      files[file] = { size: bytes.length, sha256: hex };
      attachments[hex] = { file, size: bytes.length };
      const eventId = cuid('f', u, n);
      const a = { id: cuid('t', u, n), fileName: 'data.bin', type: 'application/octet-stream', size: bytes.length, integrity: `sha256-${sha.digest('base64')}` };
      const e = { id: eventId, time: now, streamIds: ['diary'], type: 'file/attached', attachments: [a], trashed: false, ...track };
      lines.push(`{"kind":"event","event":${JSON.stringify(e)}}\n`, `${JSON.stringify({ kind: 'attachment-file', eventId, fileId: a.id, sha256: hex, size: bytes.length })}\n`);
      fileCount += 1;
    }
    const file = `users/${id}.jsonl`;
    files[file] = await d.writeEncoded(chunked(lines), join(dir, file), codec);
    users.push({ user: username, id, file, counts: { user: 1, stream: 1, event: o.events + fileCount, attachments: fileCount, attachmentBytes: Math.max(perUser, 0) } });
    mappings.push(`${JSON.stringify({ username, coreId, createdAt: now * 1000, fields: { email: `${username}@bench.invalid` } })}\n`);
  }
  files['platform/users.jsonl'] = await d.writeEncoded(mappings, join(dir, 'platform/users.jsonl'), codec);
  files['config/config.json'] = await d.writeEncoded([JSON.stringify({ synthetic: true }, null, 2)], join(dir, 'config/config.json'), codec);
  const totals: Record<string, number> = { users: users.length, attachmentFiles: Object.keys(attachments).length };
  for (const u of users) for (const [k, n] of Object.entries(u.counts)) totals[k] = (totals[k] ?? 0) + n;
  const manifest = {
    format: 'homecore-backup', formatVersion: d.FORMAT_VERSION, coreId, scope: 'core', startedAt: started.toISOString(), finishedAt: new Date().toISOString(),
    versions: { homecore: 'synthetic', node: process.version, engine: 'postgresql', userSchema: d.PG_SCHEMA_VERSION, platformSchema: d.PLATFORM_SCHEMA_VERSION },
    codec: { gzip: false, encryption: null }, totals, users: users.sort((a, b) => a.id.localeCompare(b.id)), files, attachments,
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`, { flag: 'wx', mode: 0o600 });
  return dir;
}
