import { describe, expect, it } from 'vitest';
import { AccessLogic } from '../../../src/domain/access-logic.js';
import { buildEventsQuery, parseStreamsParam, type EventsGetInput } from '../../../src/domain/events-query.js';
import { StreamsTree } from '../../../src/domain/streams-tree.js';
import type { Level } from '../../../src/domain/types.js';
import { ApiError } from '../../../src/errors/index.js';
import { access, STREAMS } from './fixtures.js';

const NOW = 1_700_000_000;
const tree = new StreamsTree(STREAMS);
const personal = { tree, logic: new AccessLogic(access('personal'), tree) };
const app = (perms: [string, Level][]) => ({ tree, logic: new AccessLogic(access('app', perms), tree) });

const build = (input: EventsGetInput, scope = personal) => buildEventsQuery(input, scope, NOW);
const sorted = (a: string[] | undefined): string[] => [...(a ?? [])].sort();

function errorOf(fn: () => unknown): { id: string; data: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { id: err.id, data: err.data };
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('events.get defaults', () => {
  it.each<[string, EventsGetInput, { fromTime: number | null; toTime: number | null; limit: number | null }]>([
    ['nothing → last 20', {}, { fromTime: null, toTime: null, limit: 20 }],
    ['only toTime → 24 h before', { toTime: NOW - 100 }, { fromTime: NOW - 100 - 86_400, toTime: NOW - 100, limit: null }],
    ['only fromTime → until now', { fromTime: NOW - 5 }, { fromTime: NOW - 5, toTime: NOW, limit: null }],
    ['both given', { fromTime: 1, toTime: 2 }, { fromTime: 1, toTime: 2, limit: null }],
    ['only limit', { limit: 3 }, { fromTime: null, toTime: null, limit: 3 }],
    ['time and limit', { fromTime: 1, limit: 3 }, { fromTime: 1, toTime: NOW, limit: 3 }],
  ])('%s', (_n, input, expected) => {
    expect(build(input)).toMatchObject(expected);
  });

  it('fills the other defaults', () => {
    expect(build({})).toEqual({
      streams: null,
      // The user's stream count, for the storage engine's choice of plan.
      userStreamCount: STREAMS.length,
      types: null,
      fromTime: null,
      toTime: null,
      running: null,
      state: 'default',
      modifiedSince: null,
      sortAscending: false,
      skip: 0,
      limit: 20,
    });
  });

  it('passes state, running, modifiedSince, sort and skip', () => {
    expect(build({ state: 'trashed', running: true, modifiedSince: 5, sortAscending: true, skip: 7 })).toMatchObject({
      state: 'trashed',
      running: true,
      modifiedSince: 5,
      sortAscending: true,
      skip: 7,
    });
    expect(build({ running: false }).running).toBeNull();
  });
});

describe('types filter', () => {
  it('splits exact types and class wildcards', () => {
    expect(build({ types: ['mass/kg', 'note/*', 'series:mass/*'] }).types).toEqual({ exact: ['mass/kg'], prefixes: ['note/', 'series:mass/'] });
  });
});

describe('streams param shapes', () => {
  it.each<[string, unknown, unknown]>([
    ['absent', undefined, null],
    ['one id (query string)', 'health', [{ any: ['health'], all: [], not: [] }]],
    ['ids', ['health', 'work'], [{ any: ['health', 'work'], all: [], not: [] }]],
    ['one query', { any: ['health'], not: ['heart'] }, [{ any: ['health'], all: [], not: ['heart'] }]],
    ['several queries', [{ any: ['health'] }, { any: ['work'], all: ['notes'] }], [{ any: ['health'], all: [], not: [] }, { any: ['work'], all: ['notes'], not: [] }]],
    ['string in a query', { any: '*' }, [{ any: ['*'], all: [], not: [] }]],
  ])('%s', (_n, raw, expected) => {
    expect(parseStreamsParam(raw)).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['ids mixed with queries', ['health', { any: ['work'] }]],
    ['query without any', { all: ['health'] }],
    ['empty any', { any: [] }],
    ['unknown key', { any: ['health'], some: ['x'] }],
    ['non-string id', { any: [3] }],
    ['* outside any', { any: ['health'], not: ['*'] }],
    ['a number', 42],
  ])('%s → 400 invalid-request-structure', (_n, raw) => {
    expect(errorOf(() => parseStreamsParam(raw)).id).toBe('invalid-request-structure');
  });
});

describe('streams expansion and permissions', () => {
  it('expands ids to their descendants', () => {
    const q = build({ streams: ['health'] });
    expect(sorted(q.streams?.[0]?.any)).toEqual(['diary', 'health', 'heart', 'pulse']);
  });

  it('`id!` does not expand', () => {
    expect(build({ streams: ['health!'] }).streams?.[0]?.any).toEqual(['health']);
  });

  it('expands all and not sets', () => {
    const q = build({ streams: { any: ['*'], all: ['heart'], not: ['work'] } });
    expect(sorted(q.streams?.[0]?.any)).toEqual(sorted(STREAMS.map((s) => s.id)));
    expect(q.streams?.[0]?.all).toEqual([['heart', 'pulse']]);
    expect(q.streams?.[0]?.not).toEqual(['work', 'notes']);
  });

  it('personal access without streams: no filter; app: readable streams only', () => {
    expect(build({}).streams).toBeNull();
    const q = build({}, app([['work', 'read']]));
    expect(q.streams).toEqual([{ any: ['work', 'notes'], all: [], not: [] }]);
  });

  it('* = every readable stream, none masks excluded', () => {
    const q = build({ streams: { any: ['*'] } }, app([['*', 'read'], ['heart', 'none']]));
    expect(sorted(q.streams?.[0]?.any)).toEqual(['diary', 'health', 'notes', 'orphan', 'work']);
  });

  it('drops none-masked descendants silently', () => {
    const q = build({ streams: ['health'] }, app([['health', 'read'], ['heart', 'none']]));
    expect(sorted(q.streams?.[0]?.any)).toEqual(['diary', 'health']);
  });

  it('create-only streams are not readable', () => {
    const q = build({ streams: ['work'] }, app([['work', 'read'], ['notes', 'create-only']]));
    expect(q.streams?.[0]?.any).toEqual(['work']);
  });

  it('unknown ids → 400 unknown-referenced-resource with data.streams', () => {
    expect(errorOf(() => build({ streams: ['health', 'nope', 'nada!'] }))).toEqual({
      id: 'unknown-referenced-resource',
      data: { streams: ['nope', 'nada'] },
    });
  });

  it('existing but unreadable → 403 forbidden', () => {
    expect(errorOf(() => build({ streams: ['health'] }, app([['work', 'read']]))).id).toBe('forbidden');
    expect(errorOf(() => build({ streams: ['notes'] }, app([['notes', 'create-only']]))).id).toBe('forbidden');
  });

  it('unknown or unreadable ids in `not` are harmless', () => {
    const q = build({ streams: { any: ['work'], not: ['nope', 'health'] } }, app([['work', 'read']]));
    expect(q.streams?.[0]?.not).toEqual(['health', 'diary', 'heart', 'pulse']);
  });
});
