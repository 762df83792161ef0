import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../../src/backup/codec.js';

/**
 * hashFile (codec.ts) takes two paths: files up to 8 MiB read and hashed whole, larger ones
 * streamed. Both must give the SHA-256 and size of the bytes on disk.
 */
describe('hashFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hash-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  it.each([
    ['empty', 0],
    ['small', 1000],
    ['at the whole-read limit', 8 << 20],
    ['streamed (past the limit, not a multiple of the read size)', (8 << 20) + 12_345],
  ])('%s file: its size and SHA-256', async (_name, size) => {
    const bytes = randomBytes(size);
    const path = join(dir, `f${size}`);
    await writeFile(path, bytes);
    expect(await hashFile(path)).toEqual({ size, sha256: sha256(bytes) });
  });

  it('a missing file rejects', async () => {
    await expect(hashFile(join(dir, 'none'))).rejects.toThrow(/ENOENT/);
  });
});
