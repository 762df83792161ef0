import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttachmentFiles } from '../../src/storage/files/attachment-files.js';

/**
 * AttachmentFiles on a real directory (issue #16, hole 4). commit() syncs the staged file, renames it
 * and syncs the directories before the caller writes the row (the reasoning is on commit()). The
 * order of syncs cannot be observed without a power cut; what is checked here is what it must leave:
 * the file whole at its place, nothing left in `.staging`, and stale leftovers swept.
 */

let root: string;
let files: AttachmentFiles;
const staging = (): string[] => readdirSync(join(root, '.staging'));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homecore-files-'));
  files = new AttachmentFiles(root);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('AttachmentFiles.commit', () => {
  it('puts the whole file in place under new user and event directories and leaves nothing staged', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const staged = await files.stage(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(staged.size).toBe(data.length);
    expect(staged.sha256).toBe(createHash('sha256').update(data).digest('base64'));
    expect(staging()).toHaveLength(1);
    await files.commit(staged, 'user1', 'event1', 'file1');
    const stored = readFileSync(join(root, 'user1', 'event1', 'file1'));
    expect(stored.length).toBe(data.length);
    expect(stored.equals(data)).toBe(true);
    expect(staging()).toEqual([]);
    expect(statSync(join(root, 'user1', 'event1')).mode & 0o777).toBe(0o700);
  });

  it('commits several files of one event side by side, each whole', async () => {
    const datas = Array.from({ length: 5 }, (_, i) => Buffer.from(`file ${i} `.repeat(1000 * (i + 1))));
    const staged = await Promise.all(datas.map((d) => files.stage(Readable.from([d]))));
    await Promise.all(staged.map((s, i) => files.commit(s, 'user1', 'event2', `f${i}`)));
    datas.forEach((d, i) => {
      expect(readFileSync(join(root, 'user1', 'event2', `f${i}`)).equals(d)).toBe(true);
    });
    expect(staging()).toEqual([]);
  });

  it('refuses an unsafe id before touching the staged file', async () => {
    const staged = await files.stage(Readable.from([Buffer.from('x')]));
    await expect(files.commit(staged, 'user1', '../escape', 'f')).rejects.toThrow();
    expect(readFileSync(staged.stagingPath, 'utf8')).toBe('x');
  });
});

describe('AttachmentFiles.sweepStaging', () => {
  it('removes staging files older than the age given, keeps younger ones', async () => {
    const old = await files.stage(Readable.from([Buffer.from('left by a crashed worker')]));
    const young = await files.stage(Readable.from([Buffer.from('an upload in flight')]));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old.stagingPath, twoHoursAgo, twoHoursAgo);
    expect(await files.sweepStaging(3600_000)).toBe(1);
    expect(staging()).toEqual([young.stagingPath.split('/').pop()]);
  });

  it('answers 0 when nothing was ever staged, and leaves committed files alone', async () => {
    expect(await files.sweepStaging(0)).toBe(0);
    const staged = await files.stage(Readable.from([Buffer.from('kept')]));
    await files.commit(staged, 'user1', 'event3', 'f');
    writeFileSync(join(root, '.staging', 'stray'), 'stray');
    expect(await files.sweepStaging(0, Date.now() + 1000)).toBe(1);
    expect(readFileSync(join(root, 'user1', 'event3', 'f'), 'utf8')).toBe('kept');
  });
});
