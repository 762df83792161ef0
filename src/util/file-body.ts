import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** An open file's bytes as an HTTP body: whole when small, else a stream. */
export interface FileBody {
  body: Buffer | Readable;
  size: number;
}

/** Files up to this size are answered as one buffer (every preview, ≤ 1024 px a side; most attachments). */
export const MAX_BUFFERED_FILE_BYTES = 1024 * 1024;

/**
 * The bytes of an open file of `size` bytes (taken from the handle's own stat, so it describes the
 * bytes read): up to `maxBuffered`, read whole (usually one read) and the handle closed; above, a
 * stream that closes it when done. A stream costs a read per 64 KiB and a close, each an
 * asynchronous call through libuv's pool (50–100 µs of CPU each on the benchmark VM,
 * docs/benchmarks.md): for a 100 KB file, four calls instead of two.
 */
export async function fileBody(handle: FileHandle, size: number, maxBuffered = MAX_BUFFERED_FILE_BYTES): Promise<FileBody> {
  if (size > maxBuffered) return { body: createReadStream('', { fd: handle, start: 0 }), size };
  try {
    const body = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(body, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { body: filled === size ? body : body.subarray(0, filled), size: filled };
  } finally {
    await handle.close();
  }
}
