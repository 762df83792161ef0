import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { fileBody } from '../../../src/util/file-body.js';

const dir = mkdtempSync(join(tmpdir(), 'file-body-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(body: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('fileBody (a file as an HTTP body)', () => {
  it('reads a file up to the limit whole into one buffer and closes its handle', async () => {
    const data = randomBytes(200_000);
    const path = join(dir, 'small');
    writeFileSync(path, data);
    const handle = await open(path, 'r');
    const { body, size } = await fileBody(handle, data.length, data.length);
    expect(Buffer.isBuffer(body)).toBe(true);
    expect(size).toBe(data.length);
    expect((body as Buffer).equals(data)).toBe(true);
    // Closed: a further read fails.
    await expect(handle.read(Buffer.alloc(1), 0, 1, 0)).rejects.toThrow();
  });

  it('streams a file over the limit, and the stream closes the handle when done', async () => {
    const data = randomBytes(300_000);
    const path = join(dir, 'large');
    writeFileSync(path, data);
    const handle = await open(path, 'r');
    const { body, size } = await fileBody(handle, data.length, data.length - 1);
    expect(body).toBeInstanceOf(Readable);
    expect(size).toBe(data.length);
    expect((await collect(body)).equals(data)).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    await expect(handle.read(Buffer.alloc(1), 0, 1, 0)).rejects.toThrow();
  });

  it('answers the bytes there are when the file shrank after its size was taken', async () => {
    const path = join(dir, 'shrunk');
    writeFileSync(path, Buffer.from('abc'));
    const handle = await open(path, 'r');
    const { body, size } = await fileBody(handle, 10, 1024);
    expect(size).toBe(3);
    expect((body as Buffer).toString()).toBe('abc');
  });

  it('an empty file is an empty buffer', async () => {
    const path = join(dir, 'empty');
    writeFileSync(path, Buffer.alloc(0));
    const { body, size } = await fileBody(await open(path, 'r'), 0, 1024);
    expect(size).toBe(0);
    expect((body as Buffer).length).toBe(0);
  });
});
