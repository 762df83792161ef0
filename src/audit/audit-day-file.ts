import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { auditFileName } from './audit-line.js';

const DSYNC_APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

/**
 * The descriptors of one worker's audit file of the current UTC day (daily rotation): a plain
 * `O_APPEND` one, and an `O_DSYNC` one opened on first use for lines that must be on disk when the
 * write returns. Both append, so the workers of a machine never tear each other's lines.
 */
export class AuditDayFile {
  private file: { day: string; fh: FileHandle; dsync: FileHandle | null } | null = null;

  constructor(
    private readonly dir: string,
    private readonly tag: string,
  ) {}

  /** The plain descriptor of `day`'s file, opened on first use; the previous day's file is closed. */
  async plain(day: string): Promise<FileHandle> {
    if (this.file !== null && this.file.day === day) return this.file.fh;
    if (this.file !== null && this.file.day < day) await this.close();
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const fh = await open(this.pathOf(day), 'a', 0o640);
    // A late line of yesterday (a batch across midnight) does not replace today's open file.
    if (this.file === null) this.file = { day, fh, dsync: null };
    else closeSoon(fh);
    return fh;
  }

  /** The `O_DSYNC` descriptor of `day`'s file; a late line of yesterday gets one of its own, closed after. */
  async dsync(day: string): Promise<FileHandle> {
    // Today's file (or a newer day's) is opened, and rotated, by plain().
    if (this.file === null || this.file.day < day) await this.plain(day);
    const f = this.file;
    if (f === null || f.day !== day) {
      const fh = await open(this.pathOf(day), DSYNC_APPEND, 0o640);
      closeSoon(fh);
      return fh;
    }
    f.dsync ??= await open(this.pathOf(day), DSYNC_APPEND, 0o640);
    return f.dsync;
  }

  /** Closes both descriptors; the next line reopens the file (a stale handle on a remounted NAS). */
  async close(): Promise<void> {
    const f = this.file;
    this.file = null;
    if (f === null) return;
    await f.fh.close().catch(() => undefined);
    await f.dsync?.close().catch(() => undefined);
  }

  private pathOf(day: string): string {
    return join(this.dir, auditFileName(day, this.tag));
  }
}

/** Once the write in progress on it is done. */
function closeSoon(fh: FileHandle): void {
  setImmediate(() => void fh.close().catch(() => undefined));
}

export async function fullWrite(fh: FileHandle, buf: Buffer): Promise<void> {
  const { bytesWritten } = await fh.write(buf);
  if (bytesWritten < buf.length) throw new Error(`short write (${bytesWritten} of ${buf.length} bytes): disk full?`);
}
