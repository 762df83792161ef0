import { describe, expect, it } from 'vitest';
import { ATTACHED_MARK, batchPieces } from '../../../../src/storage/engines/postgresql/events-read-statement.js';

/** The PostgreSQL store's joined batches (joinedStatement) turned back into findJson's pieces. */
const doc = (id: string): string => JSON.stringify({ id, content: 'a, "quoted" {text}' });
const M = ATTACHED_MARK;

describe('batchPieces', () => {
  it('answers a batch without attachments as one piece', () => {
    const joined = [doc('a'), doc('b'), doc('c')].join(',');
    expect(batchPieces({ joined, attached: null, n: 3, last_time: 1, last_id: 'c' })).toEqual([{ doc: joined, hasAttachments: false }]);
  });

  it('answers nothing for an empty batch', () => {
    expect(batchPieces({ joined: null, attached: null, n: 0 })).toEqual([]);
  });

  it('puts each attached event back in its place, alone, whatever its position', () => {
    const joined = [M, doc('b'), doc('c'), M, M, doc('f'), M].join(',');
    const attached = [doc('a'), doc('d'), doc('e'), doc('g')];
    expect(batchPieces({ joined, attached, n: 7, last_time: 7, last_id: 'g' })).toEqual([
      { doc: doc('a'), hasAttachments: true },
      { doc: `${doc('b')},${doc('c')}`, hasAttachments: false },
      { doc: doc('d'), hasAttachments: true },
      { doc: doc('e'), hasAttachments: true },
      { doc: doc('f'), hasAttachments: false },
      { doc: doc('g'), hasAttachments: true },
    ]);
  });

  it('answers a batch of attached events only as those events', () => {
    expect(batchPieces({ joined: M, attached: [doc('a')], n: 1, last_time: 1, last_id: 'a' })).toEqual([{ doc: doc('a'), hasAttachments: true }]);
  });
});
