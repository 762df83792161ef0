import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { storeAttachment, type BackupTarget } from '../../../src/backup/user-file.js';

/**
 * Attachments go into a backup once per content (src/backup/user-file.ts), also when two users'
 * files are hard links of one inode (a restore links equal contents) and both are stored at once:
 * rename(2) between two links of one inode does nothing, and a temporary file once stayed behind,
 * unlisted, so the backup's own verification refused it.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function target(link: boolean, key: BackupTarget['codec']['key'] = null): BackupTarget {
  const dir = mkdtempSync(join(tmpdir(), 'homecore-store-att-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'attachments'));
  return {
    dir, codec: { gzip: false, key }, linkAttachments: link, files: {}, attachments: {}, missingFiles: 0, readBack: new Set(),
    sourceOf: () => '',
  };
}

/** `n` paths of one inode holding `content`. */
function linkedSources(content: Buffer, n: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'homecore-att-src-'));
  dirs.push(dir);
  const paths = Array.from({ length: n }, (_, i) => join(dir, `f${i}`));
  writeFileSync(paths[0] as string, content);
  for (const p of paths.slice(1)) linkSync(paths[0] as string, p);
  return paths;
}

describe('storeAttachment', () => {
  for (const link of [true, false]) {
    it(`stores hard-linked copies of one content stored at once as one file, nothing else (${link ? 'link' : 'copy'} mode)`, async () => {
      const content = Buffer.alloc(300_000, 7);
      const sha = createHash('sha256').update(content).digest('hex');
      for (let round = 0; round < 5; round += 1) {
        const t = target(link);
        const got = await Promise.all(linkedSources(content, 4).map((p) => storeAttachment(t, p)));
        expect(got).toEqual([sha, sha, sha, sha]);
        expect(readdirSync(join(t.dir, 'attachments'))).toEqual([sha]);
        expect(Object.keys(t.files)).toEqual([`attachments/${sha}`]);
        expect(t.attachments).toEqual({ [sha]: { file: `attachments/${sha}`, size: content.length } });
      }
    });
  }

  it('answers null for a file gone since the snapshot and leaves nothing behind', async () => {
    const t = target(false);
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => storeAttachment(t, join(t.dir, `gone-${i}`))));
    expect(got.every((x) => x === null)).toBe(true);
    expect(readdirSync(join(t.dir, 'attachments'))).toEqual([]);
  });
});
