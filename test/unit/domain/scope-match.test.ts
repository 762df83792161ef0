import { describe, expect, it } from 'vitest';
import { eventMatches, hasQuery, matchedKeys, type PreparedScope } from '../../../src/domain/scope-match.js';
import type { ChangeItem } from '../../../src/notifications/messages.js';

const event = (streamIds: string[], type: string, content: unknown = null): ChangeItem => ({ kind: 'events', event: { streamIds, type, content } });

describe('eventMatches', () => {
  const q = { streams: [{ any: ['a', 'a1'], all: [], not: ['a2'] }], types: { exact: ['note/txt'], prefixes: ['mass/'] } };
  it('applies the resolved streams clauses, types and content conditions', () => {
    expect(eventMatches({ streamIds: ['a1'], type: 'note/txt' }, q)).toBe(true);
    expect(eventMatches({ streamIds: ['a1'], type: 'mass/kg' }, q)).toBe(true);
    expect(eventMatches({ streamIds: ['b'], type: 'note/txt' }, q)).toBe(false);
    expect(eventMatches({ streamIds: ['a', 'a2'], type: 'note/txt' }, q)).toBe(false);
    expect(eventMatches({ streamIds: ['a'], type: 'count/steps' }, q)).toBe(false);
    const heavy = { streams: null, types: null, content: [{ field: 'content' as const, path: [], op: 'gt' as const, value: 100 }] };
    expect(eventMatches({ streamIds: ['x'], type: 'mass/kg', content: 120 }, heavy)).toBe(true);
    expect(eventMatches({ streamIds: ['x'], type: 'mass/kg', content: 80 }, heavy)).toBe(false);
  });
});

describe('matchedKeys', () => {
  const scopes = new Map<string, PreparedScope>([
    ['a', { kind: 'events', query: { streams: ['a'] }, resolved: { streams: [{ any: ['a'], all: [], not: [] }], types: null } }],
    ['any', { kind: 'events', query: {}, resolved: null }],
    ['tree', { kind: 'streams', query: { streams: ['a'] }, resolved: { streams: [{ any: ['a'], all: [], not: [] }], types: null } }],
    ['who', { kind: 'accesses', query: {}, resolved: null }],
  ]);
  it('keys of the scopes of the change kind that one item matches', () => {
    expect(matchedKeys(scopes, 'eventsChanged', [event(['b'], 'note/txt'), event(['a'], 'note/txt')])).toEqual(['a', 'any']);
    expect(matchedKeys(scopes, 'eventsChanged', [event(['b'], 'note/txt')])).toEqual(['any']);
    expect(matchedKeys(scopes, 'streamsChanged', [{ kind: 'streams', stream: { id: 'new', parentId: 'a' } }])).toEqual(['tree']);
    expect(matchedKeys(scopes, 'streamsChanged', [{ kind: 'streams', stream: { id: 'b', parentId: null } }])).toEqual([]);
    expect(matchedKeys(scopes, 'accessesChanged', undefined)).toEqual(['who']);
    expect(matchedKeys(scopes, 'accessUpdated', undefined)).toEqual([]);
  });
  it('a change that does not say what changed matches every scope of its kind', () => {
    expect(matchedKeys(scopes, 'eventsChanged', undefined)).toEqual(['a', 'any']);
  });
  it('hasQuery: only a non-empty query of events or streams', () => {
    expect([hasQuery({}), hasQuery({ query: {} }), hasQuery({ query: { types: [] } }), hasQuery({ kind: 'accesses', query: { x: 1 } })]).toEqual([false, false, true, false]);
  });
});
