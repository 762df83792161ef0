import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry } from '../../src/api/modules.js';
import type { Level, Permission } from '../../src/domain/types.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/**
 * What an app or shared access may do on a stream, per level (Pryv API §2.5), through the real
 * HTTP routes. Tree (created by the personal token):
 *
 *   own ─┬─ child        every row but `none` grants its level on `own` and masks `masked`;
 *        └─ masked       the `none` row grants manage on `*` and masks `own` (so its subtree).
 *   sibling
 *
 * Each stream holds one event written by the personal token.
 */

type Row = 'read' | 'contribute' | 'manage' | 'create-only' | 'none';
type Target = 'own' | 'child' | 'sibling' | 'masked';
type Op = 'streams.get lists it' | 'events.get returns its event' | 'events.create' | 'events.update' | 'streams.create (child)' | 'streams.update';

const ROWS: Row[] = ['read', 'contribute', 'manage', 'create-only', 'none'];
const TARGETS: Target[] = ['own', 'child', 'sibling', 'masked'];

function permissionsOf(row: Row): Permission[] {
  if (row === 'none') return [{ streamId: '*', level: 'manage' }, { streamId: 'own', level: 'none' }];
  return [{ streamId: 'own', level: row }, { streamId: 'masked', level: 'none' }];
}

/** Effective level per row and target (null = no access), written out rather than computed. */
const EFFECTIVE: Record<Row, Record<Target, Level | null>> = {
  read: { own: 'read', child: 'read', sibling: null, masked: null },
  contribute: { own: 'contribute', child: 'contribute', sibling: null, masked: null },
  manage: { own: 'manage', child: 'manage', sibling: null, masked: null },
  'create-only': { own: 'create-only', child: 'create-only', sibling: null, masked: null },
  none: { own: null, child: null, sibling: 'manage', masked: null },
};

/** Which effective levels allow each operation (§2.5). */
const ALLOWED: Record<Op, readonly Level[]> = {
  'streams.get lists it': ['read', 'create-only', 'contribute', 'manage'],
  'events.get returns its event': ['read', 'contribute', 'manage'],
  'events.create': ['create-only', 'contribute', 'manage'],
  'events.update': ['contribute', 'manage'],
  'streams.create (child)': ['manage'],
  'streams.update': ['manage'],
};

const REQUIRED_METHODS = ['getAccessInfo', 'streams.get', 'streams.create', 'streams.update', 'events.get', 'events.create', 'events.update'];

let t: ApiTestApp;
let u: TestUser;
const tokens = new Map<string, string>();
const seeded = new Map<Target, string>();

type Verb = 'GET' | 'POST' | 'PUT';
const call = (token: string, method: Verb, path: string, payload?: object) =>
  t.app.inject({ method, url: `/${u.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });

beforeAll(async () => {
  // Fail loudly, not skip, while the streams/events methods are not registered.
  const missing = REQUIRED_METHODS.filter((id) => !buildRegistry().registry.ids().includes(id));
  if (missing.length > 0) throw new Error(`permission matrix: methods not registered in src/api/modules.ts: ${missing.join(', ')}`);
  t = await createApiTestApp();
  u = await t.createUser();
  const streams: [string, string | null][] = [['own', null], ['child', 'own'], ['masked', 'own'], ['sibling', null]];
  for (const [id, parentId] of streams) {
    const res = await call(u.token, 'POST', '/streams', { id, name: id, parentId });
    if (res.statusCode !== 201) throw new Error(`setup: streams.create ${id} → ${res.statusCode} ${res.body}`);
  }
  for (const target of TARGETS) {
    const res = await call(u.token, 'POST', '/events', { streamIds: [target], type: 'note/txt', content: `in ${target}` });
    if (res.statusCode !== 201) throw new Error(`setup: events.create in ${target} → ${res.statusCode} ${res.body}`);
    seeded.set(target, res.json().event.id);
  }
  for (const type of ['app', 'shared'] as const) {
    for (const row of ROWS) tokens.set(`${type}/${row}`, (await t.createAccess(u, { type, permissions: permissionsOf(row) })).token);
  }
}, 120_000);
afterAll(async () => {
  await t?.close();
});

function flatIds(streams: { id: string; children: unknown[] }[]): string[] {
  return streams.flatMap((s) => [s.id, ...flatIds(s.children as { id: string; children: unknown[] }[])]);
}

/** Runs one operation; true = allowed. A refusal must be 403 forbidden, anything else fails the test. */
async function attempt(token: string, op: Op, target: Target): Promise<boolean> {
  const tag = randomBytes(4).toString('hex');
  if (op === 'streams.get lists it') {
    const res = await call(token, 'GET', '/streams');
    expect(res.statusCode).toBe(200);
    return flatIds(res.json().streams).includes(target);
  }
  if (op === 'events.get returns its event') {
    const res = await call(token, 'GET', `/events?fromTime=0&toTime=${Date.now() / 1000 + 3600}&limit=1000`);
    expect(res.statusCode).toBe(200);
    return (res.json().events as { id: string }[]).some((e) => e.id === seeded.get(target));
  }
  const res =
    op === 'events.create' ? await call(token, 'POST', '/events', { streamIds: [target], type: 'note/txt', content: tag })
    : op === 'events.update' ? await call(token, 'PUT', `/events/${seeded.get(target) ?? ''}`, { description: tag })
    : op === 'streams.create (child)' ? await call(token, 'POST', '/streams', { name: `sub-${tag}`, parentId: target })
    : await call(token, 'PUT', `/streams/${target}`, { clientData: { tag } });
  if (res.statusCode < 300) return true;
  expect(res.statusCode, res.body).toBe(403);
  expect(res.json().error.id).toBe('forbidden');
  return false;
}

const cases = (['app', 'shared'] as const).flatMap((type) =>
  ROWS.flatMap((row) =>
    TARGETS.flatMap((target) =>
      (Object.keys(ALLOWED) as Op[]).map((op) => {
        const level = EFFECTIVE[row][target];
        return { type, row, target, op, allowed: level !== null && ALLOWED[op].includes(level) };
      }),
    ),
  ),
);

describe('permission matrix', () => {
  it.each(['app', 'shared'].flatMap((type) => ROWS.map((row) => ({ type, row }))))('$type/$row: getAccessInfo answers', async ({ type, row }) => {
    const res = await call(tokens.get(`${type}/${row}`) ?? '', 'GET', '/access-info');
    expect(res.statusCode).toBe(200);
    expect(res.json().permissions).toEqual(permissionsOf(row as Row));
  });

  it.each(cases)('$type/$row on $target: $op → allowed=$allowed', async ({ type, row, target, op, allowed }) => {
    expect(await attempt(tokens.get(`${type}/${row}`) ?? '', op, target)).toBe(allowed);
  });
});

/**
 * `none` masks below a subtree (issue #16): a method acting on a stream's whole subtree, or an access
 * created from one, must not reach what the caller was never allowed to see. Fresh tree per case:
 *
 *   A ─┬─ secret ── deep        the caller: manage on A and B, `none` on secret
 *      └─ open
 *   B                           one event in each stream, written by the personal token
 */
interface MaskSetup {
  owner: TestUser;
  caller: string;
  events: Map<string, string>;
}
interface MaskCase {
  name: string;
  type: 'app' | 'shared';
  /** The calls under test; the last one's answer is checked. */
  act: (s: MaskSetup) => Promise<{ statusCode: number; json(): { error?: { id: string; data?: { maskedStreams?: string[] } } } }>;
  status: number;
  maskedStreams?: string[];
  /** Streams whose event must still be there, unchanged in its streams, afterwards. */
  untouched: string[];
}

const as = (owner: TestUser, token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: object) =>
  t.app.inject({ method, url: `/${owner.username}${path}`, headers: { authorization: token }, ...(payload === undefined ? {} : { payload }) });
const MASK: Permission[] = [{ streamId: 'A', level: 'manage' }, { streamId: 'secret', level: 'none' }, { streamId: 'B', level: 'manage' }];
const deleteTwice = async (s: MaskSetup, id: string, query = '') => {
  expect((await as(s.owner, s.caller, 'DELETE', `/streams/${id}${query}`)).statusCode).toBe(200);
  return as(s.owner, s.caller, 'DELETE', `/streams/${id}${query}`);
};

const MASK_CASES: MaskCase[] = [
  { name: 'accesses.create read on A without the mask', type: 'app', status: 403, maskedStreams: ['secret'], untouched: [],
    act: (s) => as(s.owner, s.caller, 'POST', '/accesses', { name: 'leak', permissions: [{ streamId: 'A', level: 'read' }] }) },
  { name: 'accesses.create read on A carrying the mask', type: 'app', status: 201, untouched: [],
    act: (s) => as(s.owner, s.caller, 'POST', '/accesses', { name: 'ok', permissions: [{ streamId: 'A', level: 'read' }, { streamId: 'secret', level: 'none' }] }) },
  { name: 'accesses.update widening a child to A without the mask', type: 'app', status: 403, maskedStreams: ['secret'], untouched: [],
    act: async (s) => {
      const child = (await as(s.owner, s.caller, 'POST', '/accesses', { name: 'child', permissions: [{ streamId: 'open', level: 'read' }] })).json();
      return as(s.owner, s.caller, 'PUT', `/accesses/${(child as { access: { id: string } }).access.id}`, { permissions: [{ streamId: 'A', level: 'read' }] });
    } },
  { name: 'streams.delete A (events deleted)', type: 'app', status: 403, maskedStreams: ['secret'], untouched: ['A', 'secret', 'deep', 'open'],
    act: (s) => deleteTwice(s, 'A', '?mergeEventsWithParent=false') },
  { name: 'streams.delete A (events merged)', type: 'app', status: 403, maskedStreams: ['secret'], untouched: ['A', 'secret', 'deep', 'open'],
    act: (s) => deleteTwice(s, 'A', '?mergeEventsWithParent=true') },
  { name: 'streams.delete A by a shared access', type: 'shared', status: 403, maskedStreams: ['secret'], untouched: ['A', 'secret', 'deep', 'open'],
    act: (s) => deleteTwice(s, 'A', '?mergeEventsWithParent=false') },
  { name: 'streams.delete open (no mask below)', type: 'app', status: 200, untouched: ['A', 'secret', 'deep', 'B'],
    act: (s) => deleteTwice(s, 'open', '?mergeEventsWithParent=false') },
  { name: 'streams.update moving A under B', type: 'app', status: 403, maskedStreams: ['secret'], untouched: ['A', 'secret', 'deep'],
    act: (s) => as(s.owner, s.caller, 'PUT', '/streams/A', { parentId: 'B' }) },
  { name: 'streams.update moving open under B (no mask below)', type: 'app', status: 200, untouched: ['A', 'secret', 'deep'],
    act: (s) => as(s.owner, s.caller, 'PUT', '/streams/open', { parentId: 'B' }) },
];

async function maskSetup(type: 'app' | 'shared'): Promise<MaskSetup> {
  const owner = await t.createUser();
  for (const [id, parentId] of [['A', null], ['secret', 'A'], ['deep', 'secret'], ['open', 'A'], ['B', null]] as const) {
    expect((await as(owner, owner.token, 'POST', '/streams', { id, name: id, parentId })).statusCode).toBe(201);
  }
  const events = new Map<string, string>();
  for (const id of ['A', 'secret', 'deep', 'open', 'B']) {
    events.set(id, (await as(owner, owner.token, 'POST', '/events', { streamIds: [id], type: 'note/txt', content: id })).json().event.id);
  }
  return { owner, events, caller: (await t.createAccess(owner, { type, permissions: MASK })).token };
}

describe('none masks below a subtree (issue #16)', () => {
  it.each(MASK_CASES)('$type: $name → $status', async (c) => {
    const s = await maskSetup(c.type);
    const res = await c.act(s);
    expect(res.statusCode, JSON.stringify(res.json())).toBe(c.status);
    if (c.status === 403) expect(res.json().error).toMatchObject({ id: 'forbidden', data: { maskedStreams: c.maskedStreams } });
    for (const id of c.untouched) {
      const got = await as(s.owner, s.owner.token, 'GET', `/events/${s.events.get(id) ?? ''}`);
      expect(got.statusCode, `event in ${id}`).toBe(200);
      expect(got.json().event.streamIds).toEqual([id]);
    }
  });

  it('a shared access created with the mask reads A but not what is masked below it', async () => {
    const s = await maskSetup('app');
    const made = await as(s.owner, s.caller, 'POST', '/accesses', { name: 'masked', permissions: [{ streamId: 'A', level: 'read' }, { streamId: 'secret', level: 'none' }] });
    const shared = made.json().access.token as string;
    const listed = await as(s.owner, shared, 'GET', `/events?streams=${encodeURIComponent('["A"]')}&limit=100`);
    expect((listed.json().events as { id: string }[]).map((e) => e.id).sort()).toEqual([s.events.get('A'), s.events.get('open')].sort());
    expect((await as(s.owner, shared, 'GET', `/events/${s.events.get('secret') ?? ''}`)).statusCode).toBe(403);
  });

  it('narrowing an app with a mask its child would not carry is refused (offendingChildren)', async () => {
    const s = await maskSetup('app');
    const app = await t.createAccess(s.owner, { type: 'app', permissions: [{ streamId: 'A', level: 'manage' }] });
    const child = (await as(s.owner, app.token, 'POST', '/accesses', { name: 'child', permissions: [{ streamId: 'A', level: 'read' }] })).json().access;
    const res = await as(s.owner, s.owner.token, 'PUT', `/accesses/${app.id}`, { permissions: [{ streamId: 'A', level: 'manage' }, { streamId: 'secret', level: 'none' }] });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ id: 'invalid-operation', data: { offendingChildren: [child.id] } });
  });
});
