import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { Config } from '../config/index.js';
import type { DerivedFiles } from '../storage/files/attachment-files.js';

/**
 * Preview files on disk (Pryv API §7): `{cacheDir}/{userId}/{eventId}/{modified}_{w}x{h}.jpg`. The
 * event's `modified` is part of the name, so an updated event can never be served a stale preview,
 * and no extended attributes are needed (NAS and tmpfs mounts often lack them). "Last used" is the
 * file's mtime, set on a hit when it is older than a tenth of the clean-up age (a file used
 * all the time is never older than that, so never cleaned up, for one write to the disk per
 * tenth instead of one per hit): atime is unreliable (noatime mounts).
 */

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,99}$/;
const TEMP_PREFIX = '.tmp-';

export function previewsCacheDirOf(config: Readonly<Config>): string {
  const dir = config.previews.cacheDir;
  if (dir === null) return join(config.paths.varDir, 'previews-cache');
  return isAbsolute(dir) ? dir : resolve(config.paths.varDir, dir);
}

export interface PreviewKey {
  userId: string;
  eventId: string;
  modified: number;
  width: number;
  height: number;
}

/** A preview file held open: a clean-up running meanwhile cannot pull it from under its reader. */
export interface OpenPreview {
  handle: FileHandle;
  size: number;
}

export class PreviewCache implements DerivedFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private dirOf(...ids: string[]): string {
    for (const id of ids) if (!SEGMENT.test(id)) throw new Error(`not a valid preview path segment: ${JSON.stringify(id)}`);
    const full = resolve(this.root, ...ids);
    if (!full.startsWith(this.root + sep)) throw new Error('path outside the previews cache');
    return full;
  }

  private static versionOf(modified: number): string {
    // Fixed notation: the same `modified` always gives the same name.
    return modified.toFixed(6);
  }

  pathOf(k: PreviewKey): string {
    const w = Math.trunc(k.width);
    const h = Math.trunc(k.height);
    return join(this.dirOf(k.userId, k.eventId), `${PreviewCache.versionOf(k.modified)}_${w}x${h}.jpg`);
  }

  /**
   * The cached preview opened for reading, or null. Its last use is set to now when older than
   * `touchAfterMs` (PreviewCache's comment). The caller closes the handle.
   */
  async open(k: PreviewKey, touchAfterMs: number): Promise<OpenPreview | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(k), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const st = await handle.stat();
      if (Date.now() - st.mtimeMs > touchAfterMs) {
        const now = new Date();
        await handle.utimes(now, now);
      }
      return { handle, size: st.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Writes a preview with `write(tempPath)` then renames it in place (readers never see a partial
   * file), and drops the event's previews of older versions.
   */
  async put(k: PreviewKey, write: (tempPath: string) => Promise<void>): Promise<string> {
    const dir = this.dirOf(k.userId, k.eventId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(k);
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await write(temp);
      await rename(temp, path);
    } finally {
      await rm(temp, { force: true });
    }
    const version = `${PreviewCache.versionOf(k.modified)}_`;
    for (const name of await readdir(dir)) {
      if (!name.startsWith(version) && !name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true });
    }
    return path;
  }

  async removeEvent(userId: string, eventId: string): Promise<void> {
    await rm(this.dirOf(userId, eventId), { recursive: true, force: true });
  }

  async removeUser(userId: string): Promise<void> {
    await rm(this.dirOf(userId), { recursive: true, force: true });
  }

  /** Deletes previews unused for `maxAgeSeconds` (and empty directories). Returns how many files went. */
  async cleanUp(maxAgeSeconds: number, now = Date.now()): Promise<number> {
    const cutoff = now - maxAgeSeconds * 1000;
    let removed = 0;
    for (const user of await listDir(this.root)) {
      const userDir = join(this.root, user);
      for (const event of await listDir(userDir)) {
        const eventDir = join(userDir, event);
        for (const name of await listDir(eventDir)) {
          const file = join(eventDir, name);
          const st = await stat(file).catch(() => null);
          if (st?.isFile() && st.mtimeMs < cutoff) {
            await rm(file, { force: true });
            removed += 1;
          }
        }
        await rmdir(eventDir).catch(() => undefined);
      }
      await rmdir(userDir).catch(() => undefined);
    }
    return removed;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
