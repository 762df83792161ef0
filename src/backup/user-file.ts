import { randomBytes } from 'node:crypto';
import { copyFile, link, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Attachment, Event } from '../domain/types.js';
import type { UserDataLines, UserDataRecord, UserDataStore } from '../storage/interfaces/user-data-store.js';
import type { ManifestUser } from './manifest.js';
import { hashFile, Meter, writeEncoded, type Codec, type StoredFile } from './codec.js';
import { LineScan } from './line-scan.js';

/**
 * A backup-level line of a user file, beside the UserDataRecords: which stored attachment holds the
 * bytes of file `fileId` of event `eventId` (`sha256` = hex of the content), or that the file was
 * gone when the backup reached it (the event was deleted after the snapshot).
 */
export interface AttachmentFileLine {
  kind: 'attachment-file';
  eventId: string;
  fileId: string;
  sha256: string | null;
  size: number;
}

export type UserFileLine = UserDataRecord | AttachmentFileLine;

/** Where the backup keeps what it wrote so far (shared by the users of one run). */
export interface BackupTarget {
  dir: string;
  codec: Codec;
  linkAttachments: boolean;
  files: Record<string, StoredFile>;
  attachments: Record<string, { file: string; size: number }>;
  /** Source path of an attached file (`attachments.dir`/user/event/file). */
  sourceOf(userId: string, eventId: string, fileId: string): string;
  missingFiles: number;
  /** Stored files hashed by reading the file itself (hard links): the final verification need not read them again. */
  readBack: Set<string>;
}

/** Stores one attached file content-addressed (once per content) and answers its content hash, null when gone. */
export async function storeAttachment(t: BackupTarget, src: string): Promise<string | null> {
  const tmp = join(t.dir, 'attachments', `.tmp-${randomBytes(8).toString('hex')}`);
  let content: StoredFile;
  let stored: StoredFile;
  let linked = false;
  try {
    if (t.codec.key === null && t.linkAttachments) {
      // Attached files are never modified in place (a new upload is a new file): a link is a stable copy.
      await link(src, tmp).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV' && err.code !== 'EPERM') throw err;
        await copyFile(src, tmp);
      });
      content = await hashFile(tmp);
      stored = content;
      linked = true;
    } else {
      // Opened before the temporary file exists: a file gone since the snapshot (ENOENT) then leaves
      // nothing behind (failing in the pipeline, the write stream could create the temporary file
      // after the clean-up below had run: an unlisted file, and the backup refused).
      const handle = await open(src, 'r');
      const meter = new Meter();
      const source = handle.createReadStream();
      source.on('error', (err) => meter.destroy(err));
      stored = await writeEncoded(source.pipe(meter), tmp, { gzip: false, key: t.codec.key });
      content = { size: meter.size, sha256: meter.hash.digest('hex') };
    }
  } catch (err) {
    await rm(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (t.attachments[content.sha256] !== undefined) {
    await rm(tmp, { force: true });
    return content.sha256;
  }
  const file = `attachments/${content.sha256}${t.codec.key === null ? '' : '.enc'}`;
  // Claimed before the rename is awaited, so a second copy of the content (another user's file, hard
  // linked to this one by a restore) finds it above and is dropped. Claimed after, both could reach
  // the rename, and rename(2) between two links of one inode does nothing: the second temporary file
  // stayed, unlisted, and the backup was refused.
  t.files[file] = stored;
  if (linked) t.readBack.add(file);
  t.attachments[content.sha256] = { file, size: content.size };
  await rename(tmp, join(t.dir, file));
  return content.sha256;
}

/** Bytes per chunk handed to the file stream: one chunk per line cost more in stream and hash calls than the lines themselves. */
const CHUNK_CHARS = 256 * 1024;

/** Joins lines into chunks of about CHUNK_CHARS; buffers (ready-made lines) pass as they are. */
async function* chunked(lines: AsyncIterable<string | Buffer>): AsyncGenerator<string | Buffer> {
  let parts: string[] = [];
  let size = 0;
  for await (const line of lines) {
    if (typeof line !== 'string') {
      if (parts.length > 0) yield parts.join('');
      parts = [];
      size = 0;
      yield line;
      continue;
    }
    parts.push(line);
    size += line.length;
    if (size >= CHUNK_CHARS) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** Writes `users/<id>.jsonl[.gz][.enc]`: one snapshot of the user, each attachment stored as it comes. */
export async function backupUser(t: BackupTarget, store: UserDataStore, userId: string, label: (username: string) => string): Promise<ManifestUser | null> {
  const counts: ManifestUser['counts'] = {};
  let username: string | null = null;
  async function* attachmentLines(event: Event): AsyncGenerator<string> {
    for (const a of (event.attachments ?? []) as Attachment[]) {
      const sha256 = await storeAttachment(t, t.sourceOf(userId, event.id, a.id));
      if (sha256 === null) t.missingFiles += 1;
      counts.attachments = (counts.attachments ?? 0) + 1;
      counts.attachmentBytes = (counts.attachmentBytes ?? 0) + a.size;
      const line: AttachmentFileLine = { kind: 'attachment-file', eventId: event.id, fileId: a.id, sha256, size: a.size };
      yield `${JSON.stringify(line)}\n`;
    }
  }
  /** Ready-made lines (the engine's COPY) written as they come; then the attachment lines of their events. */
  async function* readyLines(r: UserDataLines): AsyncGenerator<string | Buffer> {
    const scan = new LineScan();
    for await (const chunk of r.chunks) {
      scan.push(chunk);
      yield chunk;
    }
    scan.end();
    counts[r.of] = (counts[r.of] ?? 0) + scan.lines;
    if (r.of !== 'event') return;
    for (const text of scan.named) yield* attachmentLines((JSON.parse(text) as { event: Event }).event);
  }
  const source: AsyncIterable<UserDataRecord | UserDataLines> = store.exportUserLines?.(userId) ?? store.exportUser(userId);
  async function* lines(): AsyncGenerator<string | Buffer> {
    for await (const r of source) {
      if (r.kind === 'lines') {
        yield* readyLines(r);
        continue;
      }
      counts[r.kind] = (counts[r.kind] ?? 0) + 1;
      if (r.kind === 'user') username = r.user.username;
      if (r.kind === 'event' && r.json !== undefined) {
        // The stored text as it is: no parse and serialize per event. Only a doc that names attachments is parsed.
        yield `{"kind":"event","event":${r.json}}\n`;
        if (!r.json.includes('"attachments"')) continue;
      } else {
        yield `${JSON.stringify(r)}\n`;
      }
      if (r.kind === 'event') yield* attachmentLines(r.event);
    }
  }
  const suffix = `${t.codec.gzip ? '.gz' : ''}${t.codec.key === null ? '' : '.enc'}`;
  const file = `users/${userId}.jsonl${suffix}`;
  const stored = await writeEncoded(chunked(lines()), join(t.dir, file), t.codec);
  if (username === null) {
    // Deleted between the listing and its snapshot: nothing to keep.
    await rm(join(t.dir, file), { force: true });
    return null;
  }
  t.files[file] = stored;
  return { user: label(username), id: userId, file, counts };
}
