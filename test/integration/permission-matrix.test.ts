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
