/**
 * The lines of a backup's user file, read as bytes (bin/restore, issue #12): a run of consecutive
 * event lines (`{"kind":"event","event":<doc>}`, as bin/backup writes a PostgreSQL doc) stays one
 * Buffer for an engine that imports them as they are (UserDataStore.importUserLines); every other
 * line is decoded alone. Only whole lines are decoded, so a UTF-8 character is never cut in two.
 */
export type UserFileItem = { kind: 'text'; text: string } | { kind: 'events'; lines: Buffer };

const NEWLINE = 0x0a;
const CLOSE = 0x7d;
export const EVENT_LINE = Buffer.from('{"kind":"event","event":');

const isEventLine = (b: Buffer, start: number, end: number): boolean =>
  end - start > EVENT_LINE.length && b[end - 1] === CLOSE && b.compare(EVENT_LINE, 0, EVENT_LINE.length, start, start + EVENT_LINE.length) === 0;

/** `eventRuns` false: every line as text. Empty lines are skipped; the last line may lack its newline. */
export async function* userFileItems(stream: AsyncIterable<Buffer>, eventRuns: boolean): AsyncGenerator<UserFileItem> {
  let rest: Buffer | null = null;
  for await (const chunk of stream) {
    const data: Buffer = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    let run = -1;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
      if (eventRuns && isEventLine(data, start, end)) {
        if (run === -1) run = start;
      } else {
        if (run !== -1) yield { kind: 'events', lines: data.subarray(run, start) };
        run = -1;
        if (end > start) yield { kind: 'text', text: data.toString('utf8', start, end) };
      }
      start = end + 1;
    }
    if (run !== -1) yield { kind: 'events', lines: data.subarray(run, start) };
    rest = start < data.length ? data.subarray(start) : null;
  }
  if (rest !== null) yield { kind: 'text', text: rest.toString('utf8') };
}
