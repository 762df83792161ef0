import { describe, expect, it } from 'vitest';
import { LineScan } from '../../../src/backup/line-scan.js';

const lines = [
  '{"kind":"event","event":{"id":"a","content":"x"}}',
  '{"kind":"event","event":{"id":"b","attachments":[{"id":"f","size":3}]}}',
  '{"kind":"event","event":{"id":"c","content":"say \\"attachments\\" here"}}',
  '{"kind":"event","event":{"id":"d","content":"é 😀"}}',
  '{"kind":"event","event":{"id":"e","attachments":[]}}',
  `{"kind":"event","event":{"id":"f","content":"long ${'z'.repeat(300)}"}}`,
];
const bytes = Buffer.from(`${lines.join('\n')}\n`);

function scan(cuts: number[]): LineScan {
  const s = new LineScan();
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    s.push(bytes.subarray(from, cut));
    from = cut;
  }
  s.end();
  return s;
}

describe('LineScan', () => {
  it('counts the lines and keeps those naming "attachments" as a key, wherever the chunks are cut', () => {
    const want = [lines[1], lines[4]];
    expect(scan([]).lines).toBe(lines.length);
    expect(scan([]).named).toEqual(want);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const s = scan([cut]);
      expect([s.lines, s.named]).toEqual([lines.length, want]);
    }
    for (let seed = 1; seed < 200; seed += 1) {
      const cuts: number[] = [];
      for (let at = (seed * 7) % 13; at < bytes.length; at += 1 + ((at * seed) % 37)) cuts.push(at);
      const s = scan(cuts);
      expect([s.lines, s.named]).toEqual([lines.length, want]);
    }
  });

  it('refuses lines that end without a newline', () => {
    const s = new LineScan();
    s.push(Buffer.from('{"kind":"event"}\n{"kind"'));
    expect(() => s.end()).toThrow('without a newline');
  });
});
