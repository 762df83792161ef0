import { describe, expect, it } from 'vitest';
import { userFileItems, type UserFileItem } from '../../../src/backup/user-lines.js';

/** bin/restore's reading of a user file as bytes (user-lines.ts): runs of event lines, every other line decoded alone. */
const event = (id: string, extra = ''): string => `{"kind":"event","event":{"id":"${id}"${extra}}}\n`;
const TEXT = [
  '{"kind":"user","user":{"id":"u"}}\n', event('e1', ',"content":"é🙂"'), event('e2'),
  '{"kind":"attachment-file","eventId":"e2","fileId":"f","sha256":null,"size":1}\n', event('e3'), '\n',
  '{"kind":"series","eventId":"e3","points":"[0,1]"}\n', '{"kind":"eventually","event":1}',
].join('');

/** The items as text, with the runs' lines, whatever the chunking. */
async function items(chunks: Buffer[], runs: boolean): Promise<string[]> {
  async function* stream(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const out: string[] = [];
  for await (const item of userFileItems(stream(), runs) as AsyncGenerator<UserFileItem>) {
    out.push(item.kind === 'text' ? `text ${item.text}` : `events ${item.lines.toString('utf8')}`);
  }
  return out;
}

/** A run as its lines, one item each. */
const eachLine = (item: string): string[] =>
  item.startsWith('events ') ? item.slice(7).split('\n').filter((l) => l !== '').map((l) => `event ${l}`) : [item];

function cutEvery(n: number): Buffer[] {
  const all = Buffer.from(TEXT);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += n) out.push(all.subarray(i, i + n));
  return out;
}

describe('userFileItems', () => {
  const expected = [
    'text {"kind":"user","user":{"id":"u"}}', `events ${event('e1', ',"content":"é🙂"')}${event('e2')}`,
    'text {"kind":"attachment-file","eventId":"e2","fileId":"f","sha256":null,"size":1}', `events ${event('e3')}`,
    'text {"kind":"series","eventId":"e3","points":"[0,1]"}', 'text {"kind":"eventually","event":1}',
  ];

  it('keeps consecutive event lines together and decodes the others alone (one chunk)', async () => {
    expect(await items([Buffer.from(TEXT)], true)).toEqual(expected);
  });

  it('cut anywhere (inside a UTF-8 character too), gives the same lines; runs may split at chunk ends only', async () => {
    for (const n of [1, 2, 3, 7, 40]) {
      const got = await items(cutEvery(n), true);
      expect(got.flatMap(eachLine), `chunks of ${n}`).toEqual(expected.flatMap(eachLine));
    }
  });

  it('without runs, every line is text', async () => {
    const got = await items(cutEvery(5), false);
    expect(got).toEqual(TEXT.split('\n').filter((l) => l !== '').map((l) => `text ${l}`));
  });
});
