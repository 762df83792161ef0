import { beforeAll, describe, expect, it } from 'vitest';
import { AccessLogic } from '../../src/domain/access-logic.js';
import { buildEventsQuery, type EventsGetInput } from '../../src/domain/events-query.js';
import { StreamsTree } from '../../src/domain/streams-tree.js';
import type { Event } from '../../src/domain/types.js';
import { DuplicateKeyError } from '../../src/storage/interfaces/errors.js';
import { engines } from './engines.js';
import { event, eventDeletions, freshStores, ids, jsonIds, personalAccess, query, stream, user } from './items.js';

/**
 * EventsStore.find / findJson against every engine, with every filter of events.get (Pryv API §3.1):
 * streams (with inheritance, `id!`, any/all/not queries), types (exact and `class/*`), time range
 * (periods and running events), running, modifiedSince, state, sort, skip/limit, and deletions.
 * Queries are built by the domain (buildEventsQuery) from the stored tree, as events.get builds them.
 */
const U = 'user-q';
const OTHER = 'user-other';

//   a ─ a1 ─ a11        b        c
//     └ a2
const STREAMS = [stream('a'), stream('a1', { parentId: 'a' }), stream('a11', { parentId: 'a1' }), stream('a2', { parentId: 'a' }), stream('b'), stream('c')];
const EVENTS: Event[] = [
  event('e1', { time: 100, streamIds: ['a'], type: 'note/txt', modified: 10 }),
  event('e2', { time: 200, streamIds: ['a1'], type: 'note/html', modified: 20 }),
  event('e3', { time: 300, streamIds: ['a11', 'b'], type: 'mass/kg', content: 70, modified: 30 }),
  event('e4', { time: 400, streamIds: ['b'], type: 'note/txt', trashed: true, modified: 40 }),
  event('e5', { time: 500, streamIds: ['c'], type: 'activity/plain', duration: null, modified: 50 }),
  event('e6', { time: 150, streamIds: ['a2'], type: 'activity/plain', duration: 300, modified: 60 }),
  event('e7', {
    time: 600, streamIds: ['a2', 'c'], type: 'picture/attached', modified: 70,
    attachments: [{ id: 'f1', fileName: 'x.png', type: 'image/png', size: 10 }],
  }),
  event('e8', { time: 300, streamIds: ['c'], type: 'note/txt', modified: 80 }),
];
/** Live events, newest first (time, then id, descending). */
const DEFAULT_ORDER = ['e7', 'e5', 'e8', 'e3', 'e2', 'e6', 'e1'];

describe.each(engines)('events.get filters: $name', (fixture) => {
  const s = freshStores(fixture, [user(U), user(OTHER)]);
  beforeAll(async () => {
    const stores = s.get();
    for (const st of STREAMS) await stores.streams.create(U, st);
    await stores.streams.create(OTHER, stream('a'));
    for (const e of EVENTS) await stores.events.create(U, e);
    await stores.events.create(OTHER, event('other-1', { streamIds: ['a'], time: 100 }));
  });

  /** events.get's query for `input`, built on the user's stored tree with a personal access. */
  async function built(input: EventsGetInput): Promise<string[]> {
    const stores = s.get();
    const tree = new StreamsTree(await stores.streams.all(U));
    // A time range wide enough for every event, so no default limit applies.
    const q = buildEventsQuery({ fromTime: 0, toTime: 10_000, ...input }, { tree, logic: new AccessLogic(personalAccess(), tree) }, 20_000);
    return ids(stores, U, q);
  }

  it('no filter: the live events of this user only, newest first, ties by id', async () => {
    expect(await ids(s.get(), U, query())).toEqual(DEFAULT_ORDER);
    expect(await ids(s.get(), OTHER, query())).toEqual(['other-1']);
  });

  it('sortAscending: oldest first, ties by id', async () => {
    expect(await ids(s.get(), U, query({ sortAscending: true }))).toEqual([...DEFAULT_ORDER].reverse());
  });

  it('state: trashed only, or all', async () => {
    expect(await ids(s.get(), U, query({ state: 'trashed' }))).toEqual(['e4']);
    expect(await ids(s.get(), U, query({ state: 'all' }))).toEqual(['e7', 'e5', 'e4', 'e8', 'e3', 'e2', 'e6', 'e1']);
  });

  it('streams: a stream includes its descendants; `id!` does not', async () => {
    expect(await built({ streams: ['a'] })).toEqual(['e7', 'e3', 'e2', 'e6', 'e1']);
    expect(await built({ streams: ['a1'] })).toEqual(['e3', 'e2']);
    expect(await built({ streams: ['a!'] })).toEqual(['e1']);
    expect(await built({ streams: ['a11', 'c'] })).toEqual(['e7', 'e5', 'e8', 'e3']);
  });

  it('streams queries: not, all, and several queries OR-ed', async () => {
    expect(await built({ streams: { any: ['a'], not: ['b'] } })).toEqual(['e7', 'e2', 'e6', 'e1']);
    expect(await built({ streams: { any: ['a'], all: ['c'] } })).toEqual(['e7']);
    expect(await built({ streams: { any: ['*'], not: ['a'] } })).toEqual(['e5', 'e8']);
    expect(await built({ streams: [{ any: ['a11'] }, { any: ['c'], not: ['a2'] }] })).toEqual(['e5', 'e8', 'e3']);
    // A query matching no stream matches no event.
    expect(await ids(s.get(), U, query({ streams: [{ any: [], all: [], not: [] }] }))).toEqual([]);
    expect(await ids(s.get(), U, query({ streams: [] }))).toEqual([]);
  });

  it('types: exact, `class/*`, several; a wildcard is not a pattern', async () => {
    expect(await built({ types: ['note/txt'] })).toEqual(['e8', 'e1']);
    expect(await built({ types: ['note/*'] })).toEqual(['e8', 'e2', 'e1']);
    expect(await built({ types: ['activity/plain', 'mass/kg'] })).toEqual(['e5', 'e3', 'e6']);
    expect(await built({ types: ['not/*'] })).toEqual([]);
    expect(await ids(s.get(), U, query({ types: { exact: [], prefixes: ['n%'] } }))).toEqual([]);
    expect(await ids(s.get(), U, query({ types: { exact: [], prefixes: [] } }))).toEqual([]);
  });

  it('time range: events that end at or after fromTime and start at or before toTime (periods, running)', async () => {
    // e6 is a period 150 → 450; e5 runs since 500, so it "ends now".
    expect(await ids(s.get(), U, query({ fromTime: 250, toTime: 450 }))).toEqual(['e8', 'e3', 'e6']);
    expect(await ids(s.get(), U, query({ fromTime: 550, toTime: 700 }))).toEqual(['e7', 'e5']);
    expect(await ids(s.get(), U, query({ fromTime: 200, toTime: 200 }))).toEqual(['e2', 'e6']);
    expect(await ids(s.get(), U, query({ toTime: 150 }))).toEqual(['e6', 'e1']);
    expect(await ids(s.get(), U, query({ fromTime: 700, toTime: 800 }))).toEqual(['e5']);
  });

  it('running: only events without an end', async () => {
    expect(await built({ running: true })).toEqual(['e5']);
    expect(await ids(s.get(), U, query({ running: false }))).toEqual(DEFAULT_ORDER.filter((id) => id !== 'e5'));
  });

  it('modifiedSince: strictly after, with every state', async () => {
    expect(await ids(s.get(), U, query({ modifiedSince: 45 }))).toEqual(['e7', 'e5', 'e8', 'e6']);
    expect(await ids(s.get(), U, query({ modifiedSince: 30, state: 'all' }))).toEqual(['e7', 'e5', 'e4', 'e8', 'e6']);
  });

  it('skip and limit apply after sort and filters', async () => {
    expect(await ids(s.get(), U, query({ sortAscending: true, skip: 2, limit: 3 }))).toEqual(['e2', 'e3', 'e8']);
    expect(await ids(s.get(), U, query({ limit: 2 }))).toEqual(['e7', 'e5']);
    expect(await ids(s.get(), U, query({ skip: 6 }))).toEqual(['e1']);
    expect(await ids(s.get(), U, query({ skip: 7 }))).toEqual([]);
    expect(await ids(s.get(), U, query({ limit: 0 }))).toEqual([]);
    expect(await built({ streams: ['a'], types: ['note/*'], limit: 1 })).toEqual(['e2']);
  });

  it('filters combine (AND)', async () => {
    expect(await built({ streams: ['c'], types: ['note/*', 'picture/attached'], fromTime: 300, toTime: 600 })).toEqual(['e7', 'e8']);
  });

  it('findJson: the same events as API JSON, with hasAttachments', async () => {
    const json = await jsonIds(s.get(), U, query());
    expect(json.map((j) => j.id)).toEqual(DEFAULT_ORDER);
    expect(json.filter((j) => j.hasAttachments).map((j) => j.id)).toEqual(['e7']);
    for await (const j of s.get().events.findJson(U, query({ limit: 1 }))) {
      expect(JSON.parse(j.doc)).toEqual(await s.get().events.get(U, 'e7'));
    }
  });

  it('get answers the event as created; another user\'s id is unknown', async () => {
    const stored = await s.get().events.get(U, 'e7');
    expect(stored).toMatchObject({ id: 'e7', streamIds: ['a2', 'c'], time: 600, type: 'picture/attached', attachments: [{ id: 'f1', size: 10 }] });
    expect(await s.get().events.get(U, 'e5')).toMatchObject({ duration: null });
    expect(await s.get().events.get(OTHER, 'e7')).toBeNull();
  });

  it('create refuses a live id with DuplicateKeyError(id)', async () => {
    const err = await s.get().events.create(U, event('e1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as DuplicateKeyError).key).toBe('id');
  });

  it('withStreams: events having any of the streams, by time', async () => {
    expect((await s.get().events.withStreams(U, ['a2'])).map((e) => e.id)).toEqual(['e6', 'e7']);
    expect((await s.get().events.withStreams(U, ['b', 'a1'])).map((e) => e.id).sort()).toEqual(['e2', 'e3', 'e4']);
    expect(await s.get().events.withStreams(U, ['nope'])).toEqual([]);
  });

  it('scanAll: every live event of every user, by user then id', async () => {
    const seen: string[] = [];
    for await (const { userId, event: e } of s.get().events.scanAll()) seen.push(`${userId}/${e.id}`);
    expect(seen).toEqual([`${OTHER}/other-1`, ...['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'].map((id) => `${U}/${id}`)]);
  });
});

describe.each(engines)('events.get deletions and paging: $name', (fixture) => {
  const s = freshStores(fixture, [user(U)]);

  it('deleted events leave find and are listed by deletionsSince (includeDeletions), in order of deletion', async () => {
    const stores = s.get();
    for (const id of ['d1', 'd2', 'd3', 'd4']) await stores.events.create(U, event(id, { time: 100 }));
    await stores.events.delete(U, 'd2', 1000);
    await stores.events.deleteMany(U, ['d4', 'd1'], 1001);
    expect(await ids(stores, U, query({ state: 'all' }))).toEqual(['d3']);
    expect(await stores.events.get(U, 'd1')).toBeNull();
    expect(await eventDeletions(stores, U)).toEqual([{ id: 'd2', deleted: 1000 }, { id: 'd1', deleted: 1001 }, { id: 'd4', deleted: 1001 }]);
    expect(await eventDeletions(stores, U, 1000)).toEqual([{ id: 'd1', deleted: 1001 }, { id: 'd4', deleted: 1001 }]);
    expect(await eventDeletions(stores, U, 1001)).toEqual([]);
    // An empty list deletes nothing; re-creating a deleted id revives it and drops its deletion.
    await stores.events.deleteMany(U, [], 1002);
    await stores.events.create(U, event('d2', { time: 200 }));
    expect(await ids(stores, U, query())).toEqual(['d2', 'd3']);
    expect((await eventDeletions(stores, U)).map((d) => d.id)).toEqual(['d1', 'd4']);
  });

  it('streams more events than fit one batch, in order, honouring skip and limit', async () => {
    const stores = s.get();
    const many = Array.from({ length: 1050 }, (_, i) => event(`m${String(i).padStart(4, '0')}`, { time: 5000 + Math.floor(i / 2), streamIds: ['big'] }));
    for (let i = 0; i < many.length; i += 50) await Promise.all(many.slice(i, i + 50).map((e) => stores.events.create(U, e)));
    const big = query({ streams: [{ any: ['big'], all: [], not: [] }], sortAscending: true });
    const all = await ids(stores, U, big);
    expect(all).toEqual(many.map((e) => e.id));
    expect(await ids(stores, U, { ...big, skip: 10, limit: 1020 })).toEqual(many.slice(10, 1030).map((e) => e.id));
    expect((await ids(stores, U, { ...big, sortAscending: false, limit: 3 }))).toEqual(['m1049', 'm1048', 'm1047']);
  });
});

describe.each(engines)('findJson with attachments among the events: $name', (fixture) => {
  const A = 'user-att';
  const s = freshStores(fixture, [user(A)]);
  const withFile = (id: string, time: number): Event =>
    event(id, { time, type: 'picture/attached', attachments: [{ id: `f-${id}`, fileName: `${id}.png`, type: 'image/png', size: 3 }] });
  // Oldest first: attached at the start, two attached in a row in the middle, attached at the end.
  const EVENTS: Event[] = [
    withFile('p1', 10), event('n2', { time: 20 }), event('n3', { time: 30 }), withFile('p4', 40), withFile('p5', 50),
    event('n6', { time: 60 }), withFile('p7', 70),
  ];
  const ORDER = EVENTS.map((e) => e.id);
  beforeAll(async () => {
    for (const e of EVENTS) await s.get().events.create(A, e);
  });

  it('each event with attachments comes alone and flagged, the others in order around it', async () => {
    for (const sortAscending of [true, false]) {
      const want = sortAscending ? ORDER : [...ORDER].reverse();
      const json = await jsonIds(s.get(), A, query({ sortAscending }));
      expect(json.map((j) => j.id)).toEqual(want);
      expect(json.filter((j) => j.hasAttachments).map((j) => j.id)).toEqual(want.filter((id) => id.startsWith('p')));
      expect(await ids(s.get(), A, query({ sortAscending }))).toEqual(want);
    }
  });

  it('an event with attachments comes as stored, every other one too', async () => {
    const docs: Event[] = [];
    for await (const j of s.get().events.findJson(A, query({ sortAscending: true, skip: 2, limit: 4 }))) docs.push(...(JSON.parse(`[${j.doc}]`) as Event[]));
    expect(docs.map((d) => d.id)).toEqual(['n3', 'p4', 'p5', 'n6']);
    for (const d of docs) expect(d).toEqual(await s.get().events.get(A, d.id));
  });
});
