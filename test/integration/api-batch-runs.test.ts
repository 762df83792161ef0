import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLine } from '../../src/audit/audit-line.js';
import { auditDirOf } from '../../src/audit/audit-dir.js';
import { readAuditLines } from '../../src/audit/audit-reader.js';
import type { ChangeMessage } from '../../src/notifications/messages.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * Runs of consecutive calls of one method in a batch (issue #10, src/api/registry.ts callRun,
 * docs/api.md#batch-calls-post-username): events.create calls written together (src/api/events/events-create-group.ts),
 * streams.create calls checked against one tree that grows with the run
 * (src/api/streams/streams-create-group.ts), one change notification per batch and kind of change
 * (src/api/batch-notifier.ts), but each call checked,
 * answered and audited as if the calls had run one by one. The one-by-one reference is the same
 * calls sent as batches of one call each (a run of one takes the method's own handler).
 */
let t: ApiTestApp;

beforeAll(async () => {
  t = await createApiTestApp();
});
afterAll(async () => {
  await t?.close();
});

type Result = Record<string, unknown> & { error?: { id: string; message: string; data?: unknown } };
type Call = { method: string; params: unknown } | number;

/** A valid event id (cuid shape: a letter then 23 of [a-z0-9]) named after `n`. */
const id = (n: string): string => `b${n}`.padEnd(24, '0');

async function batch(u: TestUser, token: string, calls: Call[]): Promise<Result[]> {
  const res = await t.app.inject({ method: 'POST', url: `/${u.username}/`, headers: { authorization: token }, payload: calls });
  expect(res.statusCode).toBe(200);
  const { results } = res.json() as { results: Result[] };
  expect(results).toHaveLength(calls.length);
  return results;
}

async function oneByOne(u: TestUser, token: string, calls: Call[]): Promise<Result[]> {
  const out: Result[] = [];
  for (const c of calls) out.push(...(await batch(u, token, [c])));
  return out;
}

async function events(u: TestUser, query = ''): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events?limit=1000&state=all${query}`, headers: { authorization: u.token } });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, unknown>;
}

/** What differs between two users' runs of the same calls: times and the authoring access. */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparable);
  if (typeof v !== 'object' || v === null) return v;
  const skip = new Set(['created', 'modified', 'createdBy', 'modifiedBy', 'time', 'integrity', 'deleted', 'meta']);
  return Object.fromEntries(Object.entries(v).filter(([k]) => !skip.has(k)).map(([k, x]) => [k, comparable(x)]));
}

/** Counts the store's single-event creates while `fn` runs (the run's events go through createMany when the engine has it). */
async function singleCreates<T>(fn: () => Promise<T>): Promise<{ value: T; singles: number }> {
  const store = t.services.stores.events;
  const original = store.create;
  let singles = 0;
  store.create = (userId, event) => {
    singles += 1;
    return original.call(store, userId, event);
  };
  try {
    return { value: await fn(), singles };
  } finally {
    store.create = original;
  }
}

const byId = (list: unknown): unknown[] => [...(list as { id: string }[])].sort((a, b) => a.id.localeCompare(b.id));

/** A user with streams s1 (app: manage), s2 (app: read), gone (trashed), an app access, and an event `taken`. */
async function userWithLayout(): Promise<{ u: TestUser; app: string }> {
  const u = await t.createUser();
  for (const s of ['s1', 's2', 'gone']) {
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}/streams`, headers: { authorization: u.token }, payload: { id: s, name: s } });
    expect(res.statusCode).toBe(201);
  }
  await t.app.inject({ method: 'DELETE', url: `/${u.username}/streams/gone`, headers: { authorization: u.token } });
  const taken = await t.app.inject({ method: 'POST', url: `/${u.username}/events`, headers: { authorization: u.token }, payload: { id: id('taken'), streamIds: ['s1'], type: 'note/txt', content: 'before' } });
  expect(taken.statusCode).toBe(201);
  const app = await t.createAccess(u, { type: 'app', name: 'batch-app', permissions: [{ streamId: 's1', level: 'manage' }, { streamId: 's2', level: 'read' }] });
  return { u, app: app.token };
}

const note = (n: string, streamIds: string[] = ['s1'], extra: Record<string, unknown> = {}): Call => ({
  method: 'events.create',
  params: { id: id(n), streamIds, type: 'note/txt', content: n, ...extra },
});

/** Every way an events.create can fail, between calls that succeed and calls that depend on earlier ones. */
const MIXED: Call[] = [
  note('a'),
  note('b', ['s2']),
  note('c', ['nope']),
  { method: 'events.create', params: { id: id('d'), streamIds: ['s1'], type: 'Not A Type' } },
  note('a'),
  { method: 'events.create', params: { id: id('e'), streamIds: ['s1'], type: 'mass/kg', content: 'heavy' } },
  note('f', ['gone']),
  { method: 'events.create', params: { streamIds: [':_system:language'], type: 'language/iso-639-1', content: 'fr' } },
  note('g', ['s1', 's1'], { time: 1_700_000_000, duration: 60, description: 'd', clientData: { k: 'v' } }),
  42,
  note('h'),
  note('i'),
  { method: 'streams.create', params: { id: 's3', name: 's3', parentId: 's1' } },
  note('j', ['s3']),
  { method: 'events.update', params: { id: id('a'), update: { content: 'a2' } } },
  note('k'),
  note('taken'),
  note('l'),
  note('k'),
  { method: 'events.create', params: { id: id('m'), streamIds: ['s1'], type: 'note/txt', content: 'm', unknownField: 1 } },
];

describe('runs of calls in a batch', () => {
  it.each(['personal', 'app'] as const)('answer and store exactly what the calls one by one would (%s token)', async (kind) => {
    const grouped = await userWithLayout();
    const single = await userWithLayout();
    const token = (x: { u: TestUser; app: string }): string => (kind === 'personal' ? x.u.token : x.app);
    const together = await batch(grouped.u, token(grouped), MIXED);
    const alone = await oneByOne(single.u, token(single), MIXED);
    expect(comparable(together)).toEqual(comparable(alone));
    // The run's failures are the ones expected (not, say, every call refused alike).
    const ids = together.map((r) => r.error?.id ?? 'ok');
    expect(ids.slice(0, 7)).toEqual(['ok', kind === 'app' ? 'forbidden' : 'ok', 'unknown-referenced-resource', 'invalid-parameters-format', 'item-already-exists', 'invalid-parameters-format', 'invalid-operation']);
    expect(ids[7]).toBe(kind === 'app' ? 'forbidden' : 'ok');
    expect(ids.slice(8)).toEqual(['ok', 'invalid-request-structure', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'item-already-exists', 'ok', 'item-already-exists', 'invalid-parameters-format']);
    expect(together[4]?.error?.data).toEqual({ id: id('a') });
    expect(together[16]?.error?.data).toEqual({ id: id('taken') });
    // What is stored is the same too, the events' own times aside.
    const [a, b] = [await events(grouped.u), await events(single.u)];
    expect(comparable(byId(a['events']))).toEqual(comparable(byId(b['events'])));
    const g = (a['events'] as { id: string; streamIds: string[]; content: unknown }[]).find((e) => e.id === id('g'));
    expect(g?.streamIds).toEqual(['s1']);
    expect((a['events'] as { id: string; content: unknown }[]).find((e) => e.id === id('a'))?.content).toBe('a2');
  });

  it('tells clients and webhooks once per batch and kind of change, and audits each call', async () => {
    const { u } = await userWithLayout();
    const heard: ChangeMessage[] = [];
    const stop = t.services.bus.subscribe((m) => {
      if (m.username === u.username) heard.push(m);
    });
    const queued = t.services.webhookQueue.queued;
    const calls: Call[] = [
      note('n1'), note('n2'), note('n3', ['nope']), { method: 'streams.create', params: { id: 's9', name: 'S9' } }, note('n4'), note('n5'),
      { method: 'events.update', params: { id: id('n1'), update: { content: 'n1 again' } } },
    ];
    const { value: results, singles } = await singleCreates(() => batch(u, u.token, calls));
    stop();
    // One write per run where the engine can (PostgreSQL); one per event where it cannot (mongodb).
    expect(singles).toBe(t.services.stores.events.createMany === undefined ? 4 : 0);
    expect(results.map((r) => r.error?.id ?? 'ok')).toEqual(['ok', 'ok', 'unknown-referenced-resource', 'ok', 'ok', 'ok', 'ok']);
    // Two runs of creates and an update: one eventsChanged; the stream: one streamsChanged. Every
    // changed event is in the items, for scoped subscriptions.
    expect(heard.map((m) => m.change)).toEqual(['eventsChanged', 'streamsChanged']);
    expect(heard[0]?.items?.length).toBeGreaterThanOrEqual(5);
    expect(t.services.webhookQueue.queued - queued).toBe(2);
    // One line per call, refused one included, each naming its event.
    await t.services.audit?.flushAll();
    const lines: AuditLine[] = [];
    for await (const l of readAuditLines(auditDirOf(t.config), { user: u.username, from: 0, to: Date.now() / 1000 + 1, methods: ['events.create'] })) {
      if (l.transport === 'batch') lines.push(l);
    }
    const summary = lines.map((l) => [l.status, l.error, l.resources]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    const expected = [
      ...['n1', 'n2', 'n4', 'n5'].map((n) => [201, null, expect.arrayContaining([id(n)])]),
      [400, 'unknown-referenced-resource', expect.arrayContaining([id('n3')])],
    ];
    expect(summary).toHaveLength(5);
    expect(summary).toEqual(expect.arrayContaining(expected));
  });

  it('answers each call when the store refuses the run as a whole (an id only the database knows is taken)', async () => {
    const { u } = await userWithLayout();
    const heard: string[] = [];
    const stop = t.services.bus.subscribe((m) => {
      if (m.username === u.username) heard.push(m.change);
    });
    const { value: results, singles } = await singleCreates(() => batch(u, u.token, [note('y1'), note('taken'), note('y2'), note('y1')]));
    stop();
    // Refused as a whole (or no createMany): then one by one, as the calls would have run.
    expect(singles).toBe(4);
    expect(results.map((r) => r.error?.id ?? 'ok')).toEqual(['ok', 'item-already-exists', 'ok', 'item-already-exists']);
    expect(results[1]?.error).toEqual({ id: 'item-already-exists', message: 'An item with the same id already exists.', data: { id: id('taken') } });
    expect(heard).toEqual(['eventsChanged']);
    const stored = (await events(u))['events'] as { id: string; content: unknown }[];
    expect(stored.filter((e) => [id('y1'), id('y2'), id('taken')].includes(e.id)).map((e) => [e.id, e.content]).sort()).toEqual([
      [id('taken'), 'before'],
      [id('y1'), 'y1'],
      [id('y2'), 'y2'],
    ]);
  });

  it('re-creates a deleted id in a run, as a single create does (its deletion record goes)', async () => {
    const { u } = await userWithLayout();
    await batch(u, u.token, [note('z')]);
    const since = Date.now() / 1000 - 1;
    for (let i = 0; i < 2; i++) await batch(u, u.token, [{ method: 'events.delete', params: { id: id('z') } }]);
    expect((await events(u, `&includeDeletions=true&modifiedSince=${since}`))['eventDeletions']).toEqual([{ id: id('z'), deleted: expect.any(Number) }]);
    const results = await batch(u, u.token, [note('z', ['s1'], { content: 'again' }), note('w')]);
    expect(results.map((r) => r.error?.id ?? 'ok')).toEqual(['ok', 'ok']);
    const after = await events(u, `&includeDeletions=true&modifiedSince=${since}`);
    expect(after['eventDeletions']).toEqual([]);
    expect((after['events'] as { id: string; content: unknown }[]).find((e) => e.id === id('z'))?.content).toBe('again');
  });

  const stream = (id: string, name: string, parentId?: string): Call => ({ method: 'streams.create', params: { id, name, ...(parentId === undefined ? {} : { parentId }) } });
  /** streams.create runs: each call checked against the run's own tree, grown by the run's earlier streams. */
  const STREAMS: Call[] = [
    stream('p1', 'P1'),
    stream('c1', 'C1', 's1'),
    stream('c2', 'C1', 's1'),
    stream('c1', 'Other', 's1'),
    stream('g1', 'G1', 'c1'),
    stream('x', 'X', 'nope'),
    stream('y', 'Y', 'gone'),
    stream('s2c', 'S2C', 's2'),
    stream(':bad', 'Bad'),
    stream('s1', 'Again'),
    stream('Slug Me', 'Slug', 's1'),
    note('sg', ['g1']),
    stream('g2', 'G2', 'g1'),
  ];

  it.each(['personal', 'app'] as const)('streams.create runs answer and store what the calls one by one would (%s token)', async (kind) => {
    const grouped = await userWithLayout();
    const single = await userWithLayout();
    const token = (x: { u: TestUser; app: string }): string => (kind === 'personal' ? x.u.token : x.app);
    const together = await batch(grouped.u, token(grouped), STREAMS);
    const alone = await oneByOne(single.u, token(single), STREAMS);
    expect(comparable(together)).toEqual(comparable(alone));
    const ids = together.map((r) => r.error?.id ?? 'ok');
    // An app without manage at the root is refused root streams before their id is looked at.
    const rootOr = (id: string): string => (kind === 'app' ? 'forbidden' : id);
    expect(ids).toEqual([rootOr('ok'), 'ok', 'item-already-exists', 'item-already-exists', 'ok', 'unknown-referenced-resource', 'invalid-operation', rootOr('ok'), rootOr('invalid-item-id'), rootOr('item-already-exists'), 'ok', 'ok', 'ok']);
    const tree = async (u: TestUser): Promise<unknown> => (await t.app.inject({ method: 'GET', url: `/${u.username}/streams?state=all`, headers: { authorization: u.token } })).json();
    expect(comparable(await tree(grouped.u))).toEqual(comparable(await tree(single.u)));
  });

  it('a streams.create run looks at the tree once, where each call loaded it again', async () => {
    const { u } = await userWithLayout();
    const versioned = t.services.stores.users.getWithStreamsVersion !== undefined;
    const trees = t.services.streamTrees;
    const [loads, refreshes, hits] = [trees.loads, trees.refreshes, trees.hits];
    const heard: string[] = [];
    const stop = t.services.bus.subscribe((m) => {
      if (m.username === u.username) heard.push(m.change);
    });
    const results = await batch(u, u.token, [stream('r1', 'R1'), stream('r2', 'R2', 'r1'), stream('r3', 'R3', 'r2'), stream('r4', 'R4'), stream('r5', 'R5', 'r4'), note('r', ['r3'])]);
    stop();
    expect(results.map((r) => r.error?.id ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(heard).toEqual(['streamsChanged', 'eventsChanged']);
    // The run: one look (a hit on the cached tree where the engine keeps streams versions); the
    // create after it: the run's 5 streams applied to it (the run changed the version; stream-tree-cache.ts).
    // One by one: a load per stream write. Without streams versions: two loads.
    const seen = [trees.loads - loads, trees.refreshes - refreshes, trees.hits - hits];
    expect(seen).toEqual(versioned ? [0, 1, 1] : [2, 0, 0]);
  });
});

