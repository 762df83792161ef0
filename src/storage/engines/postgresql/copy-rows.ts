import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

/**
 * COPY … FROM STDIN in text format (issue #12, the restore's bulk rows): PostgreSQL reads plain
 * tab-separated lines, where a multi-row INSERT of a JSON array had it parse the whole array first
 * (docs/benchmarks.md#backup-and-restore). Values go through `copyText` / `copyArray`; `\N` is NULL.
 */

/** Characters the text format gives a meaning to; every other byte (UTF-8 included) goes as it is. */
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeOne = (c: string): string => ESCAPES[c] ?? c;

/** A text value for one COPY field: backslash, tab, newline and CR escaped; null is `\N`. */
export function copyText(s: string | null | undefined): string {
  if (s === null || s === undefined) return '\\N';
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, escapeOne) : s;
}

const ARRAY_SPECIAL = /["\\]/g;
/** What an array element may not hold to go as it is: the literal's quote and backslash, and COPY's specials. */
const ELEMENT_SPECIAL = /["\\\t\n\r]/;

/**
 * A text[] field: an array literal with every element quoted (so `NULL`, `{`, `,` stay text), then
 * escaped for COPY. `prefix` goes before every element (stream keys: `<user id> <stream id>`).
 */
export function copyArray(items: readonly string[], prefix = ''): string {
  // The usual case (stream ids are slugs): nothing to escape, one join.
  let plain = !ELEMENT_SPECIAL.test(prefix);
  for (let i = 0; plain && i < items.length; i += 1) plain = !ELEMENT_SPECIAL.test(items[i] as string);
  if (plain) return items.length === 0 ? '{}' : `{"${prefix}${items.join(`","${prefix}`)}"}`;
  let literal = '{';
  for (let i = 0; i < items.length; i += 1) {
    if (i > 0) literal += ',';
    literal += `"${(prefix + (items[i] as string)).replace(ARRAY_SPECIAL, '\\$&')}"`;
  }
  return copyText(`${literal}}`);
}

/** A float8 / bigint / integer field (JavaScript's shortest round-trip text; PostgreSQL reads `1e+21`). */
export const copyNumber = (n: number | null | undefined): string => (n === null || n === undefined ? '\\N' : String(n));

/** Bytes gathered before one write to the server (one CopyData message). */
const CHUNK = 256 * 1024;

/**
 * One COPY on `client`, fed line by line (each line ends with `\n`): `end()` waits until the server
 * has the rows (or throws its error, e.g. a unique violation); `abort()` makes it fail (CopyFail),
 * so the transaction around it is to be rolled back. Lines are encoded into a buffer as they come
 * (a string built by `+=` to 256 KiB was a rope of thousands of pieces, flattened and encoded again
 * by the stream: a tenth of the restore's CPU). Writes wait for the socket to drain: the server
 * works through one chunk while the next is built.
 */
export class CopyRows {
  private buffer = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  private failed: Error | null = null;
  private done = false;

  private constructor(private readonly stream: CopyStreamQuery) {
    stream.on('error', (err: Error) => {
      this.failed ??= err;
    });
  }

  static open(client: pg.PoolClient, sql: string): CopyRows {
    return new CopyRows(client.query(copyFrom(sql)));
  }

  /** Answers a promise only when the chunk went to the server (the caller awaits it then): no promise per line. */
  write(line: string): Promise<void> | null {
    // At most 3 bytes per UTF-16 unit: a line that might not fit goes after a flush, or alone.
    if (this.used + line.length * 3 > CHUNK) {
      if (line.length * 3 > CHUNK) return this.flush(Buffer.from(line));
      const flushed = this.flush(null);
      this.used = this.buffer.write(line, 0);
      return flushed;
    }
    this.used += this.buffer.write(line, this.used);
    return null;
  }

  /**
   * One line as `head`, the bytes `bytes[start, end)` as they are (text that needs no COPY escape,
   * e.g. a doc: copied, not encoded again) and `tail`; as `write` otherwise.
   */
  writeParts(head: string, bytes: Buffer, start: number, end: number, tail: string): Promise<void> | null {
    const need = (head.length + tail.length) * 3 + (end - start);
    if (need > CHUNK) return this.write(`${head}${bytes.toString('utf8', start, end)}${tail}`);
    const flushed = this.used + need > CHUNK ? this.flush(null) : null;
    this.used += this.buffer.write(head, this.used);
    this.used += bytes.copy(this.buffer, this.used, start, end);
    this.used += this.buffer.write(tail, this.used);
    return flushed;
  }

  /** Sends what is gathered (then `extra`, a line too big to gather); the next lines go to a new buffer. */
  private async flush(extra: Buffer | null): Promise<void> {
    if (this.failed !== null) throw this.failed;
    let ok = true;
    if (this.used > 0) ok = this.stream.write(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(CHUNK);
    this.used = 0;
    if (extra !== null) ok = this.stream.write(extra);
    if (!ok) await once(this.stream, 'drain');
  }

  async end(): Promise<void> {
    if (this.failed !== null) throw this.failed;
    this.done = true;
    const finished = once(this.stream, 'finish');
    if (this.used > 0) this.stream.end(this.buffer.subarray(0, this.used));
    else this.stream.end();
    this.used = 0;
    await finished;
  }

  /** After a failure of ours mid-COPY: the server is told (CopyFail) unless it failed first. */
  abort(reason: Error): void {
    if (this.done || this.failed !== null) return;
    this.done = true;
    this.stream.destroy(reason);
  }
}
