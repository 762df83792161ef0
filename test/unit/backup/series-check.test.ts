import { describe, expect, it } from 'vitest';
import { checkSeriesPiece } from '../../../src/backup/series-check.js';

const piece = (first: number, last: number, count: number, points: string) => ({ kind: 'series' as const, eventId: 'e1', first, last, count, points });

describe('series chunk order (bin/integrity-check)', () => {
  it('accepts ascending, disjoint pieces whose bounds match their points', () => {
    const state = new Map<string, number>();
    expect(checkSeriesPiece(state, piece(0, 2, 3, '[0,1],[1,2],[2,3]'))).toBeNull();
    expect(checkSeriesPiece(state, piece(3, 4, 2, '[3,1],[4,2]'))).toBeNull();
  });

  it.each([
    ['overlapping the piece before', [piece(0, 2, 3, '[0,1],[1,2],[2,3]'), piece(2, 4, 2, '[2,1],[4,2]')], /overlaps/],
    ['points out of order', [piece(0, 2, 3, '[0,1],[2,2],[1,3]')], /not ascending/],
    ['a wrong count', [piece(0, 1, 3, '[0,1],[1,2]')], /2 points, 3 recorded/],
    ['bounds not matching', [piece(0, 5, 2, '[0,1],[1,2]')], /do not match/],
    ['broken JSON', [piece(0, 1, 2, '[0,1],[1,')], /not valid JSON/],
  ])('reports %s', (_name, pieces, problem) => {
    const state = new Map<string, number>();
    const results = pieces.map((p) => checkSeriesPiece(state, p));
    expect(results[results.length - 1]).toMatch(problem);
  });
});
