import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/http/query.js';

describe('parseQuery', () => {
  it.each([
    ['repeated keys become arrays', 'streams=a&streams=b', { streams: ['a', 'b'] }],
    ['key[] form becomes an array even with one value', 'types[]=note/txt', { types: ['note/txt'] }],
    ['a single value stays a string (the schema coerces)', 'limit=10', { limit: '10' }],
    ['JSON-stringified streams are parsed', 'streams=%5B%22a%22%2C%22b%22%5D', { streams: ['a', 'b'] }],
    ['JSON streams query objects are parsed', 'streams=%7B%22any%22%3A%5B%22a%22%5D%7D', { streams: { any: ['a'] } }],
    ['broken JSON stays a string', 'streams=%5Bnope', { streams: '[nope' }],
    ['huge negative floats stay intact for the schema', 'fromTime=-1.7976931348623157e%2B308', { fromTime: '-1.7976931348623157e+308' }],
    ['prototype keys are dropped', '__proto__=x&constructor=y&a=1', { a: '1' }],
  ])('%s', (_name, search, expected) => {
    expect(parseQuery(search)).toEqual(expected);
  });
});
