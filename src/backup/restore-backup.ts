import { createHash } from 'node:crypto';
import { constants, createWriteStream, linkSync, mkdirSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/index.js';
import { PLATFORM_MIGRATIONS } from '../platform/schema.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import type { UserMapping } from '../platform/user-mappings.js';
import type { Event } from '../domain/types.js';
import type { UserDataKind, UserDataLines, UserDataRecord, UserDataStore } from '../storage/interfaces/user-data-store.js';
import type { UsersStore } from '../storage/interfaces/users-store.js';
import type { MailTemplateKey, MailTemplatesStore } from '../storage/interfaces/mail-templates-store.js';
import { AttachmentFiles } from '../storage/files/attachment-files.js';
import { forEachBounded } from './bounded.js';
import { MappingWrites } from './mapping-writes.js';
import { ImportCheck, type ImportedUser } from './import-check.js';
import { hashFile, readDecoded, type Codec } from './codec.js';
import { userLabel, type ManifestUser } from './manifest.js';
import type { Progress } from './progress.js';
import type { UserFileLine } from './user-file.js';
import { userFileItems } from './user-lines.js';
import { BackupRefusedError, verifyBackup, type VerifiedBackup } from './verify.js';

export interface RestoreDeps {
  config: Readonly<Config>;
  users: UsersStore;
  userData: UserDataStore;
  mailTemplates: MailTemplatesStore;
  engine: { name: string; requiredSchemaVersion: number };
  rqlite: RqliteClient;
  attachmentsDir: string;
  progress: Progress;
}

export interface RestoreOptions {
  dir: string;
  passphrase: string | null;
  /** Only this username, into a core where it is absent; null = every user, into an empty core. */
  user: string | null;
}

export interface RestoreSummary {
  users: number;
  totals: Partial<Record<UserDataKind | 'attachments', number>>;
  unmapped: string[];
  /**
   * SHA-256 (base64) of every attached file the restore wrote, by `<user>/<event>/<file>`, hashed
   * from the bytes as they were written: the integrity check that follows uses them instead of
   * reading every file again (integrity.ts `knownHashes`).
   */
  writtenHashes: Map<string, string>;
  /** What was checked of each user as it went in, by user id (engines with importUserLines). */
  imported: Map<string, ImportedUser>;
  /**
   * The engine's deferred index and key builds of a whole-core restore (beginBulkImport), still
   * under way: bin/restore runs its integrity check meanwhile (the builds are PostgreSQL's work, the
   * check mostly the command's) and awaits this before it reports.
   */
  indexesBuilt: Promise<void>;
}

/**
 * Users restored at once, each one import transaction on a connection of its own (the data tools'
 * pool has 6: five imports and the durable() of a mapping batch; after the import, three build
 * indexes while the integrity check uses the rest). Five instead of three: the load phase of 1,000
 * users 10.1 → 9.7 s once commits no longer waited for their flush (docs/benchmarks.md).
 */
const PARALLEL_USERS = 5;

/** Platform mappings per rqlite transaction (mapping-writes.ts). */
const MAPPING_BATCH = 100;

/**
 * The lines of a decoded stream (errors of the stream, e.g. a GCM tag mismatch, reach the reader).
 * Decoded with a StringDecoder: a UTF-8 character split across two chunks stays one character.
 */
async function* linesOf(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const utf8 = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const parts = (rest + (typeof chunk === 'string' ? chunk : utf8.write(chunk))).split('\n');
    rest = parts.pop() ?? '';
    yield* parts.filter((p) => p !== '');
  }
  rest += utf8.end();
  if (rest !== '') yield rest;
}

/** How bin/backup starts the line of an event from its stored doc (user-file.ts backupUser). */
const EVENT_LINE = '{"kind":"event","event":';

function lazyEvent(json: string): UserDataRecord {
  let parsed: Event | undefined;
  return {
    kind: 'event',
    json,
    get event(): Event {
      parsed ??= JSON.parse(json) as Event;
      return parsed;
    },
  };
}

/** Checks what a restore would write into, before anything is written (a one-line reason when refused). */
async function chooseUsers(deps: RestoreDeps, v: VerifiedBackup, user: string | null): Promise<ManifestUser[]> {
  const m = v.manifest;
  if (m.versions.engine === deps.engine.name && m.versions.userSchema > deps.engine.requiredSchemaVersion) {
    throw new BackupRefusedError(`backup schema ${m.versions.userSchema} is newer than this core's (${deps.engine.requiredSchemaVersion}): upgrade homecore first`);
  }
  const platformMax = PLATFORM_MIGRATIONS[PLATFORM_MIGRATIONS.length - 1]?.version ?? 0;
  if (m.versions.platformSchema > platformMax) {
    throw new BackupRefusedError(`backup platform schema ${m.versions.platformSchema} is newer than this core's (${platformMax}): upgrade homecore first`);
  }
  const present = await deps.users.list();
  const unlisted = m.users.find((u) => m.files[u.file] === undefined || !/^[a-z0-9][a-z0-9-]{0,99}$/.test(u.id));
  if (unlisted !== undefined) throw new BackupRefusedError(`user file ${unlisted.file} is not listed in the manifest`);
  if (user === null) {
    if (present.length > 0) throw new BackupRefusedError(`this core is not empty (${present.length} users): restore into an empty core, or one absent user with --user`);
    return m.users;
  }
  const entry = m.users.find((u) => u.user === userLabel(user, v.codec.key));
  if (entry === undefined) throw new BackupRefusedError(`no user ${user} in this backup`);
  if (present.some((u) => u.username === user || u.id === entry.id)) throw new BackupRefusedError(`user ${user} already exists on this core`);
  return [entry];
}

/**
 * Puts one attached file in place; answers its content hash (base64), null when the file was gone at
 * backup time. A clear backup on the same filesystem with `backup.attachments: link` is hard-linked
 * (attached files are never modified in place, as bin/backup's links assume): the very inode the
 * verification hashed moments ago, so its hash is that one. Otherwise the file is decoded into place
 * and hashed on the way (an encrypted backup), or copied by the kernel and the copy hashed.
 */
async function restoreFile(deps: RestoreDeps, v: VerifiedBackup, userId: string, line: Extract<UserFileLine, { kind: 'attachment-file' }>): Promise<string | null> {
  if (line.sha256 === null) return null;
  const stored = v.manifest.attachments[line.sha256];
  const listed = stored === undefined ? undefined : v.manifest.files[stored.file];
  if (stored === undefined || listed === undefined) throw new BackupRefusedError(`attachment ${line.sha256} is not in the manifest`);
  // Ids come from the backup: checked as path segments, so no name can lead outside attachments.dir.
  const target = new AttachmentFiles(deps.attachmentsDir).pathOf(userId, line.eventId, line.fileId);
  // Synchronous, as the link below: bin/restore's own event loop waits a few µs, where each
  // asynchronous call cost 5 to 10 times the CPU here (the thread pool's hand-offs; 2,000 attached
  // files: about 0.7 CPU s of a restore's 10, docs/benchmarks.md).
  mkdirSync(dirname(target), { recursive: true });
  const source = join(v.dir, stored.file);
  const asStored = v.codec.key === null && listed.sha256 === line.sha256;
  if (asStored && deps.config.backup.attachments === 'link') {
    let linked = true;
    try {
      linkSync(source, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM') throw err;
      linked = false;
    }
    if (linked) return Buffer.from(line.sha256, 'hex').toString('base64');
  }
  let digest: Buffer;
  if (asStored) {
    await copyFile(source, target, constants.COPYFILE_EXCL);
    digest = Buffer.from((await hashFile(target)).sha256, 'hex');
  } else {
    const hash = createHash('sha256');
    const check = new Transform({
      transform(chunk: Buffer, _e, cb: TransformCallback): void {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(readDecoded(source, { gzip: false, key: v.codec.key }), check, createWriteStream(target, { flags: 'wx' }));
    digest = hash.digest();
  }
  if (digest.toString('hex') !== line.sha256) throw new Error(`attachment ${line.fileId} does not match its hash`);
  return digest.toString('base64');
}

/** Read size of user files: about a thousand event lines per run handed to the engine. */
const USER_FILE_READ = 256 * 1024;

async function* recordsOnly(items: AsyncIterable<UserDataRecord | UserDataLines>): AsyncGenerator<UserDataRecord> {
  for await (const item of items) {
    if (item.kind === 'lines') throw new Error('ready-made lines for an engine that does not take them');
    yield item;
  }
}

function unmapped(deps: RestoreDeps, summary: RestoreSummary, username: string, why: string): void {
  summary.unmapped.push(username);
  deps.progress.warn(`platform mapping not restored (${why})`, { username });
}

/** One user: its files and records (one all-or-nothing import), then its platform mapping queued (mapping-writes.ts). */
async function restoreUser(deps: RestoreDeps, v: VerifiedBackup, entry: ManifestUser, mappings: Map<string, UserMapping>, writes: MappingWrites, summary: RestoreSummary, total: number): Promise<void> {
  const codec = v.codec;
  // A PostgreSQL backup's event lines hold the stored docs as written (user-file.ts): handed over as
  // text, for the engine to copy (UserDataRecord `json`); parsed only if something reads `event`.
  const storedDocs = v.manifest.versions.engine === 'postgresql';
  const engine = deps.userData;
  // An engine that digests what it stores is checked as the data goes in (import-check.ts), and
  // takes a PostgreSQL backup's event lines as they are, a run of lines at a time.
  const check = engine.importUserLines !== undefined && engine.verifyImported !== undefined ? new ImportCheck() : null;
  let username = '';
  let files = 0;
  const records = async function* (): AsyncGenerator<UserDataRecord | UserDataLines> {
    for await (const item of userFileItems(readDecoded(join(v.dir, entry.file), codec, USER_FILE_READ), storedDocs && check !== null)) {
      if (item.kind === 'events') {
        check?.eventLines(item.lines);
        yield { kind: 'lines', of: 'event', chunks: [item.lines] };
        continue;
      }
      const text = item.text;
      if (storedDocs && text.startsWith(EVENT_LINE) && text.endsWith('}')) {
        const r = lazyEvent(text.slice(EVENT_LINE.length, -1));
        check?.record(r);
        yield r;
        continue;
      }
      const line = JSON.parse(text) as UserFileLine;
      if (line.kind === 'attachment-file') {
        const written = await restoreFile(deps, v, entry.id, line);
        if (written !== null) summary.writtenHashes.set(`${entry.id}/${line.eventId}/${line.fileId}`, written);
        files += 1;
        continue;
      }
      if (line.kind === 'user') username = line.user.username;
      check?.record(line);
      yield line;
    }
  };
  try {
    let counts: Partial<Record<UserDataKind, number>>;
    if (check !== null && engine.importUserLines !== undefined) {
      const result = await engine.importUserLines(records());
      counts = result.counts;
      check.user.digest = result.digest;
      summary.imported.set(entry.id, check.user);
    } else {
      counts = await engine.importUser(recordsOnly(records()));
    }
    for (const [k, n] of Object.entries(counts)) summary.totals[k as UserDataKind] = (summary.totals[k as UserDataKind] ?? 0) + (n ?? 0);
    summary.totals.attachments = (summary.totals.attachments ?? 0) + files;
  } catch (err) {
    await rm(join(deps.attachmentsDir, entry.id), { recursive: true, force: true });
    throw err;
  }
  const mapping = mappings.get(username);
  if (mapping === undefined) unmapped(deps, summary, username, 'missing from the backup');
  else writes.add(mapping);
  summary.users += 1;
  deps.progress.tick(summary.users, total, 'users');
}

/**
 * bin/restore: verifies the backup first (verify.ts) and refuses with a one-line reason, writing
 * nothing; then per user its attached files, its data (one all-or-nothing import) and its platform
 * mapping (now pointing at this core; written in batches, all before this returns). A user whose
 * import fails leaves no file behind.
 */
export async function restoreBackup(deps: RestoreDeps, o: RestoreOptions): Promise<RestoreSummary> {
  const v = await verifyBackup(o.dir, o.passphrase);
  const chosen = await chooseUsers(deps, v, o.user);
  const codec: Codec = v.codec;
  const mappings = new Map<string, UserMapping>();
  const mappingFile = Object.keys(v.manifest.files).find((f) => f.startsWith('platform/users.jsonl'));
  if (mappingFile !== undefined) {
    for await (const line of linesOf(readDecoded(join(v.dir, mappingFile), codec))) {
      const m = JSON.parse(line) as UserMapping;
      mappings.set(m.username, m);
    }
  }
  deps.progress.step('backup verified, restoring', { users: chosen.length, from: v.manifest.coreId, at: v.manifest.startedAt });
  const summary: RestoreSummary = { users: 0, totals: {}, unmapped: [], writtenHashes: new Map(), imported: new Map(), indexesBuilt: Promise.resolve() };
  // A whole core into an empty one: the engine may build its indexes once at the end (PostgreSQL).
  const bulk = o.user === null && deps.userData.beginBulkImport !== undefined ? await deps.userData.beginBulkImport() : null;
  const writes = new MappingWrites(deps.rqlite, deps.config.core.id, MAPPING_BATCH, bulk === null ? undefined : () => bulk.durable());
  try {
    await forEachBounded(chosen, PARALLEL_USERS, (entry) => restoreUser(deps, v, entry, mappings, writes, summary, chosen.length));
    await writes.done();
  } catch (err) {
    await writes.done().catch(() => undefined);
    await bulk?.finish();
    throw err;
  }
  for (const username of writes.refused) unmapped(deps, summary, username, 'a unique field now belongs to another user');
  if (bulk !== null) {
    deps.progress.step('building indexes');
    summary.indexesBuilt = bulk.finish().then(() => deps.progress.step('indexes built'));
    // Awaited by the caller; until then a failure must not count as unhandled.
    summary.indexesBuilt.catch(() => undefined);
  }
  const templates = Object.keys(v.manifest.files).find((f) => f.startsWith('core/mail-templates.jsonl'));
  if (o.user === null && templates !== undefined) {
    for await (const line of linesOf(readDecoded(join(v.dir, templates), codec))) {
      const { source, ...key } = JSON.parse(line) as MailTemplateKey & { source: string | null };
      if (source !== null) await deps.mailTemplates.put(key, source);
    }
  }
  deps.progress.step('restore complete', { users: summary.users, ...summary.totals });
  return summary;
}
