const NEWLINE = 0x0a;
const NEEDLE = Buffer.from('"attachments"');

/**
 * Reads ready-made JSON lines as they stream to a backup file (UserDataLines: chunks cut anywhere)
 * without decoding them: counts the lines and keeps the text of those naming `"attachments"` (as a
 * key: inside a JSON string the quotes would be escaped), the only ones bin/backup must parse.
 */
export class LineScan {
  lines = 0;
  /** Complete lines naming "attachments", without their newline. */
  readonly named: string[] = [];
  /** The start of a line an earlier chunk did not end. */
  private tail: Buffer[] = [];

  push(chunk: Buffer): void {
    const first = chunk.indexOf(NEWLINE);
    if (first === -1) {
      if (chunk.length === 0) return;
      this.tail.push(chunk);
      return;
    }
    // The line the previous chunks began.
    const head = this.tail.length === 0 ? chunk.subarray(0, first) : Buffer.concat([...this.tail, chunk.subarray(0, first)]);
    this.tail = [];
    if (head.includes(NEEDLE)) this.named.push(head.toString('utf8'));
    let lines = 1;
    let last = first;
    for (let i = chunk.indexOf(NEWLINE, first + 1); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) {
      lines += 1;
      last = i;
    }
    this.lines += lines;
    // Complete lines of this chunk that name attachments; one cut at `last` is left to the tail.
    for (let at = chunk.indexOf(NEEDLE, first + 1); at !== -1 && at < last; at = chunk.indexOf(NEEDLE, at + 1)) {
      const start = chunk.lastIndexOf(NEWLINE, at) + 1;
      const end = chunk.indexOf(NEWLINE, at);
      this.named.push(chunk.toString('utf8', start, end));
      at = end;
    }
    if (last + 1 < chunk.length) this.tail.push(chunk.subarray(last + 1));
  }

  /** Throws if the stream ended inside a line (every line ends with a newline). */
  end(): void {
    if (this.tail.length > 0) throw new Error('ready-made lines ended without a newline');
  }
}
