import { describe, expect, it } from 'vitest';
import { checkMove, checkParent, checkStreamId, eventFateOnStreamDeletion, hasSiblingNamed, slugifyStreamId } from '../../../src/domain/stream-rules.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import { ApiError } from '../../../src/errors/index.js';
import { STREAMS } from './fixtures.js';

const tree = new StreamsTree(STREAMS);
const idOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof ApiError ? err.id : 'not-an-api-error';
  }
};

describe('stream ids', () => {
  it.each([
    ['my stream', 'my-stream'],
    ['  Blood   pressure ', 'Blood-pressure'],
    ['a/b?c#d', 'abcd'],
    ['ok_id.v1~x', 'ok_id.v1~x'],
  ])('slugify(%j) = %j', (raw, expected) => {
    expect(slugifyStreamId(raw)).toBe(expected);
  });

  it.each(['null', 'undefined', '*', ':_system:account', '///'])('%j → invalid-item-id', (raw) => {
    expect(idOf(() => checkStreamId(raw))).toBe('invalid-item-id');
  });
});

describe('tree rules', () => {
  it('finds sibling name clashes', () => {
    expect(hasSiblingNamed(tree, 'health', 'heart')).toBe(true);
    expect(hasSiblingNamed(tree, 'health', 'heart', 'heart')).toBe(false);
    expect(hasSiblingNamed(tree, 'work', 'heart')).toBe(false);
    expect(hasSiblingNamed(tree, null, 'work')).toBe(true);
  });

  it.each<[string | null, string | null]>([
    [null, null],
    ['health', null],
    ['nope', 'unknown-referenced-resource'],
    ['diary', 'invalid-operation'],
  ])('parent %j → %j', (parentId, expected) => {
    expect(idOf(() => checkParent(tree, parentId))).toBe(expected);
  });

  it('refuses moves creating a cycle', () => {
    expect(idOf(() => checkMove(tree, 'health', 'pulse'))).toBe('invalid-operation');
    expect(idOf(() => checkMove(tree, 'heart', 'work'))).toBeNull();
  });
});

describe('event fate on stream deletion', () => {
  const subtree = new Set(['heart', 'pulse']);
  it.each([
    [['pulse'], 'health', true, { action: 'mergedToParent', streamIds: ['health'] }],
    [['work', 'pulse', 'heart'], 'health', true, { action: 'mergedToParent', streamIds: ['work', 'health'] }],
    [['pulse', 'heart'], 'health', false, { action: 'deleted' }],
    [['pulse', 'work'], 'health', false, { action: 'updatedStreamIds', streamIds: ['work'] }],
  ])('%j (merge %j/%j)', (streamIds, parentId, merge, expected) => {
    expect(eventFateOnStreamDeletion(streamIds, subtree, parentId, merge)).toEqual(expected);
  });

  it('cannot merge into the parent of a root stream', () => {
    expect(idOf(() => eventFateOnStreamDeletion(['heart'], subtree, null, true))).toBe('invalid-operation');
  });
});
