import { describe, expect, it } from 'vitest';
import { checkEventStreams, checkTypeChange, mergeClientData, resolveContent, seriesContent, uniqueIds } from '../../../src/domain/event-rules.js';
import { EventTypes } from '../../../src/domain/event-types.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import { ApiError } from '../../../src/errors/index.js';
import { STREAMS } from './fixtures.js';

const types = new EventTypes({
  version: 't',
  types: {
    'mass/kg': { type: 'number' },
    'position/wgs84': { type: 'object', properties: { latitude: { type: 'number' }, longitude: { type: 'number' } }, required: ['latitude', 'longitude'] },
  },
});
const tree = new StreamsTree(STREAMS);
const idOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof ApiError ? err.id : 'not-an-api-error';
  }
};

describe('event rules', () => {
  it('dedupes stream ids keeping order', () => {
    expect(uniqueIds(['b', 'a', 'b'])).toEqual(['b', 'a']);
  });

  it.each<[string[], string[] | undefined, string | null]>([
    [['health', 'work'], undefined, null],
    [['health', 'nope'], undefined, 'unknown-referenced-resource'],
    [['diary'], undefined, 'invalid-operation'],
    [['diary', 'work'], ['work'], null],
  ])('streams %j (live %j) → %j', (ids, live, expected) => {
    expect(idOf(() => checkEventStreams(tree, ids, live))).toBe(expected);
  });

  it.each<[string, unknown, string | null]>([
    ['mass/kg', 70, null],
    ['mass/kg', '70', 'invalid-parameters-format'],
    ['mass/kg', undefined, 'invalid-parameters-format'],
    ['unknown/type', { any: 'thing' }, null],
    ['series:mass/kg', undefined, null],
    ['series:mass/kg', 3, 'invalid-parameters-format'],
    ['series:not/known', undefined, 'invalid-event-type'],
  ])('content of %s = %j → %j', (type, content, expected) => {
    expect(idOf(() => resolveContent(types, type, content))).toBe(expected);
  });

  it('sets series content and duration 0', () => {
    expect(resolveContent(types, 'series:mass/kg', undefined)).toEqual({
      content: { elementType: 'mass/kg', fields: ['deltaTime', 'value'], required: ['deltaTime', 'value'] },
      duration: 0,
    });
    expect(seriesContent(types, 'series:position/wgs84')).toEqual({
      elementType: 'position/wgs84',
      fields: ['deltaTime', 'latitude', 'longitude'],
      required: ['deltaTime', 'latitude', 'longitude'],
    });
  });

  it('refuses normal ↔ series type changes', () => {
    expect(idOf(() => checkTypeChange('mass/kg', 'series:mass/kg'))).toBe('invalid-operation');
    expect(idOf(() => checkTypeChange('series:mass/kg', 'mass/kg'))).toBe('invalid-operation');
    expect(idOf(() => checkTypeChange('mass/kg', 'note/txt'))).toBeNull();
  });

  it('merges clientData with null deleting keys', () => {
    expect(mergeClientData({ a: 1, b: 2 }, { b: null, c: 3 })).toEqual({ a: 1, c: 3 });
    expect(mergeClientData(undefined, { a: 1 })).toEqual({ a: 1 });
    expect(mergeClientData({ a: 1 }, null)).toBeNull();
  });
});
