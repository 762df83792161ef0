import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../../config/index.js';
import { fileBody, type FileBody } from '../../util/file-body.js';

/**
 * Attached files on disk (Pryv API §2.2, issue #4): `{dir}/{userId}/{eventId}/{fileId}`, nothing
 * else. Paths are built from those three ids only, each checked against SEGMENT and the result
 * checked to stay under `dir`: a client-chosen name never reaches the filesystem. Uploads are
 * streamed to `{dir}/.staging/` first (same filesystem, so moving them in place is one rename, also
 * on a NAS mount) with their SHA-256 computed on the way.
 */

/** What user ids, event ids (minted or legacy `c…`) and file ids look like; no dots, no slashes. */
const SEGMENT = /^[a-z0-9][a-z0-9-]{0,99}$/;
const STAGING = '.staging';

/** A file received but not yet attached to an event. */
export interface StagedFile {
  stagingPath: string;
  size: number;
  /** SHA-256 of the bytes, base64. */
  sha256: string;
}

/** An upload as the API received it: the staged bytes plus what the client said about them. */
export interface StagedUpload extends StagedFile {
  fileName: string;
  type: string;
}

/** Files derived from attachments elsewhere (preview cache): dropped with their event or user. */
export interface DerivedFiles {
  removeEvent(userId: string, eventId: string): Promise<void>;
  removeUser(userId: string): Promise<void>;
}

export class InvalidFilePathError extends Error {}

/** fsync of a file or a directory (Linux allows it on a directory opened read-only). */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `attachments.dir`, null = `{varDir}/attachments`; a relative path is relative to `varDir`. */
export function attachmentsDirOf(config: Readonly<Config>): string {
  const dir = config.attachments.dir;
  if (dir === null) return join(config.paths.varDir, 'attachments');
  return isAbsolute(dir) ? dir : resolve(config.paths.varDir, dir);
}

/**
 * Age past which a staging file is a leftover: no request outlives its body timeout by long, and an
 * hour leaves ample room for the handler after it (uploads of another worker or clone stay).
 */
export function stagingMaxAgeMs(config: Readonly<Config>): number {
  return Math.max(2 * config.http.requestTimeoutMs, 3_600_000);
}

/** Byte count and SHA-256 of what flows through. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

export class AttachmentFiles {
  readonly root: string;

  constructor(root: string, private readonly derived: DerivedFiles[] = []) {
    this.root = resolve(root);
  }

  /** Absolute path of a file (or of an event's / user's directory with fewer ids), validated. */
  pathOf(...ids: string[]): string {
    for (const id of ids) if (!SEGMENT.test(id)) throw new InvalidFilePathError(`not a valid file path segment: ${JSON.stringify(id)}`);
    const full = resolve(this.root, ...ids);
    if (!full.startsWith(this.root + sep)) throw new InvalidFilePathError('path outside the attachments directory');
    return full;
  }

  /** Streams `source` to a new staging file; the caller commits or discards it. Removed on failure. */
  async stage(source: Readable): Promise<StagedFile> {
    const dir = join(this.root, STAGING);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stagingPath = join(dir, randomBytes(16).toString('hex'));
    const meter = new Meter();
    try {
      await pipeline(source, meter, createWriteStream(stagingPath, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      await rm(stagingPath, { force: true });
      throw err;
    }
    return { stagingPath, size: meter.size, sha256: meter.hash.digest('base64') };
  }

  /**
   * Moves a staged file to its place, durably (issue #16, hole 4). Callers write the event row that
   * references the file only after this returns, so after a power loss either the row is absent
   * (the file, if any, is an orphan) or the row and the whole file are there. Without the syncs the
   * kernel may persist the rename (metadata) before the data blocks, and the row would then point at
   * an empty or short file. Order:
   *   1. fsync the staged file: its bytes and size are on disk;
   *   2. rename it into place: atomic, the target is either absent or complete;
   *   3. fsync the event directory: the new entry (the rename) is on disk; and fsync the parent of
   *      each directory `mkdir` had to create, so the path to it survives too.
   * The old `.staging` entry need not be synced away: a leftover is swept at start (sweepStaging).
   */
  async commit(staged: StagedFile, userId: string, eventId: string, fileId: string): Promise<void> {
    const target = this.pathOf(userId, eventId, fileId);
    const eventDir = this.pathOf(userId, eventId);
    await fsyncPath(staged.stagingPath);
    const firstCreated = await mkdir(eventDir, { recursive: true, mode: 0o700 });
    await rename(staged.stagingPath, target);
    await fsyncPath(eventDir);
    if (firstCreated !== undefined) {
      for (let dir = eventDir; dir !== dirname(firstCreated); dir = dirname(dir)) await fsyncPath(dirname(dir));
    }
  }

  /**
   * Removes staging files older than `maxAgeMs`: uploads of a worker that died before committing or
   * discarding them. Younger ones may belong to a request still running in another worker or clone
   * sharing the directory, so they stay. Answers how many were removed.
   */
  async sweepStaging(maxAgeMs: number, now = Date.now()): Promise<number> {
    const dir = join(this.root, STAGING);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile() || now - info.mtimeMs < maxAgeMs) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  /** Removes staging files that were not committed (already moved ones are gone: no error). */
  async discard(staged: readonly StagedFile[]): Promise<void> {
    await Promise.all(staged.map((s) => rm(s.stagingPath, { force: true })));
  }

  /** The file's bytes (whole when small, else a stream: util/file-body.ts) with its size, or null if it is not on disk. */
  async open(userId: string, eventId: string, fileId: string): Promise<FileBody | null> {
    const path = this.pathOf(userId, eventId, fileId);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      // Size from the open handle, so it describes exactly the bytes read.
      const { size } = await handle.stat();
      return await fileBody(handle, size);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** One file; the event's derived files go too (previews are remade on demand). */
  async remove(userId: string, eventId: string, fileId: string): Promise<void> {
    await rm(this.pathOf(userId, eventId, fileId), { force: true });
    await Promise.all(this.derived.map((d) => d.removeEvent(userId, eventId)));
  }

  /** An event deleted for good: its files and anything derived from them. */
  async removeEvent(userId: string, eventId: string): Promise<void> {
    await rm(this.pathOf(userId, eventId), { recursive: true, force: true });
    await Promise.all(this.derived.map((d) => d.removeEvent(userId, eventId)));
  }

  /** A deleted user: every file of theirs. */
  async removeUser(userId: string): Promise<void> {
    await rm(this.pathOf(userId), { recursive: true, force: true });
    await Promise.all(this.derived.map((d) => d.removeUser(userId)));
  }
}
