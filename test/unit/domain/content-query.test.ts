import { describe, expect, it } from 'vitest';
import { matchesContentQuery, parseContentQuery } from '../../../src/domain/content-query.js';
import { ApiError } from '../../../src/errors/index.js';

describe('parseContentQuery', () => {
  it('reads paths, operators and values; "$" is the root', () => {
    expect(parseContentQuery('content', [{ path: 'a.b:c.d-e_f', in: [1, 'x', true] }, { path: '$', gte: 2 }])).toEqual([
      { field: 'content', path: ['a', 'b:c', 'd-e_f'], op: 'in', value: [1, 'x', true] },
      { field: 'content', path: [], op: 'gte', value: 2 },
    ]);
    expect(parseContentQuery('clientData', undefined)).toEqual([]);
    expect(parseContentQuery('clientData', { path: 'x', exists: false })).toEqual([{ field: 'clientData', path: ['x'], op: 'exists', value: false }]);
  });

  it.each<[string, unknown]>([
    ['a string', 'x'],
    ['a number condition list', [1]],
    ['no operator', [{ path: 'a' }]],
    ['two operators', [{ path: 'a', eq: 1, neq: 2 }]],
    ['unknown key', [{ path: 'a', eq: 1, x: 1 }]],
    ['bad path', [{ path: 'a/b', eq: 1 }]],
    ['empty path', [{ path: '', eq: 1 }]],
    ['too deep', [{ path: Array.from({ length: 33 }, () => 'a').join('.'), eq: 1 }]],
    ['NaN-like number', [{ path: 'a', gt: Number.POSITIVE_INFINITY }]],
    ['lone surrogate', [{ path: 'a', eq: '\ud800' }]],
    ['too many in values', [{ path: 'a', in: Array.from({ length: 1001 }, (_, i) => i) }]],
  ])('refuses %s with invalid-request-structure', (_n, raw) => {
    const err = (() => {
      try {
        parseContentQuery('content', raw);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).id).toBe('invalid-request-structure');
  });
});

describe('matchesContentQuery', () => {
  const q = (raw: unknown) => parseContentQuery('content', raw);
  it.each<[string, unknown, unknown, boolean]>([
    ['strict types', { a: 1 }, { path: 'a', eq: true }, false],
    ['number equality', { a: 1 }, { path: 'a', eq: 1 }, true],
    ['no array unwrapping', { a: [1] }, { path: 'a', eq: 1 }, false],
    ['no array index', { a: ['x'] }, { path: 'a.0', eq: 'x' }, false],
    ['null is a value', { a: null }, { path: 'a', exists: true }, true],
    ['neq needs a value', {}, { path: 'a', neq: 1 }, false],
    ['range ignores strings', { a: '5' }, { path: 'a', gt: 1 }, false],
    ['prefix', { a: 'G03DA04' }, { path: 'a', prefix: 'G03' }, true],
    ['root scalar', 5, { path: '$', lte: 5 }, true],
    ['absent content', undefined, { path: '$', exists: false }, true],
  ])('%s', (_n, content, cond, expected) => {
    expect(matchesContentQuery({ content }, q([cond]))).toBe(expected);
  });
});
