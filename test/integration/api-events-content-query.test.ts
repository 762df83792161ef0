import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesContentQuery, parseContentQuery } from '../../src/domain/content-query.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';

/** events.get `content` / `clientData` queries (Pryv API reference, "Content query"; issue #11). */
let t: ApiTestApp;
let u: TestUser;
let reader: string;
const T = Math.floor(Date.now() / 1000) - 10_000;

const SEED: [string, string, { content?: unknown; clientData?: Record<string, unknown> }][] = [
  ['m1', 'meds', { content: { drug: { codes: { atc: 'G03DA04' }, name: 'Progesterone' }, taken: true, dose: 12 }, clientData: { 'app:source': 'scan', related: { src1: 'derived-from' } } }],
  ['m2', 'meds', { content: { drug: { codes: { atc: 'B01AC06' }, name: 'Aspirin' }, taken: false, dose: 100 } }],
  ['m3', 'meds', { content: { drug: { codes: { atc: 'G03DA02' } }, taken: 'true', dose: '12' }, clientData: { 'app:source': 'manual' } }],
  ['m4', 'meds', { content: { drug: { codes: { atc: ['G03DA04'] } }, taken: 1, dose: 12.0 } }],
  ['m5', 'meds', { content: { drug: null, taken: null, dose: -3.5 } }],
  ['n1', 'notes', { content: 'G03DA04 in a note' }],
  ['n2', 'notes', { content: 12 }],
  ['n3', 'notes', { content: true }],
  ['n4', 'notes', { content: [12, 'x'] }],
  ['n5', 'notes', {}],
  ['q1', 'notes', { content: { label: 'quote" back\\slash é ✓ $.x ? (@ == 1)' } }],
  ['h1', 'hidden', { content: { drug: { codes: { atc: 'G03DA04' } } } }],
];
const ALL = SEED.map(([name]) => name);
const VISIBLE = ALL.filter((n) => n !== 'h1');

/** With the app access by default: it cannot read `hidden`. */
async function get(query: Record<string, unknown>, token = reader) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const res = await t.app.inject({ method: 'GET', url: `/${u.username}/events?${qs.toString()}`, headers: { authorization: token } });
  return { status: res.statusCode, body: res.json() };
}
const names = (events: { description?: string }[]): string[] => events.map((e) => e.description ?? '').sort();

beforeAll(async () => {
  t = await createApiTestApp();
  u = await t.createUser();
  const post = async (path: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: { authorization: u.token }, payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
  };
  for (const id of ['meds', 'notes', 'hidden']) await post('/streams', { id, name: id });
  let i = 0;
  for (const [name, streamId, e] of SEED) {
    await post('/events', { streamIds: [streamId], type: 'my-app/thing', time: T + i++, description: name, ...e });
  }
  reader = (await t.createAccess(u, { type: 'app', permissions: [{ streamId: 'meds', level: 'read' }, { streamId: 'notes', level: 'read' }] })).token;
});
afterAll(async () => {
  await t?.close();
});

const C = (conds: unknown): Record<string, unknown> => ({ content: conds, limit: 100 });

describe('events.get content queries', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['eq on a nested string', C([{ path: 'drug.codes.atc', eq: 'G03DA04' }]), ['m1']],
    ['eq is strict on types: true ≠ "true" ≠ 1', C([{ path: 'taken', eq: true }]), ['m1']],
    ['eq "true" only matches the string', C([{ path: 'taken', eq: 'true' }]), ['m3']],
    ['eq on numbers: 12 = 12.0, never "12"', C([{ path: 'dose', eq: 12 }]), ['m1', 'm4']],
    ['an array value is not unwrapped', C([{ path: 'drug.codes.atc', in: ['G03DA04'] }]), ['m1']],
    ['in with equality', C([{ path: 'drug.codes.atc', in: ['G03DA04', 'B01AC06', 'Z99'] }, { path: 'taken', eq: true }]), ['m1']],
    ['in mixing types', C([{ path: 'taken', in: [false, 1] }]), ['m2', 'm4']],
    ['neq: present and different', C([{ path: 'taken', neq: true }]), ['m2', 'm3', 'm4', 'm5']],
    ['exists true (a JSON null is a value)', C([{ path: 'drug', exists: true }]), ['m1', 'm2', 'm3', 'm4', 'm5']],
    ['exists false, events without content included', C([{ path: 'drug.name', exists: false }]), ['m3', 'm4', 'm5', 'n1', 'n2', 'n3', 'n4', 'n5', 'q1']],
    ['gt / lte: numbers only', C([{ path: 'dose', gt: 0 }, { path: 'dose', lte: 12 }]), ['m1', 'm4']],
    ['lt with a negative bound', C([{ path: 'dose', lt: -1 }]), ['m5']],
    ['gte 100', C([{ path: 'dose', gte: 100 }]), ['m2']],
    ['prefix on a code class', C([{ path: 'drug.codes.atc', prefix: 'G03DA' }]), ['m1', 'm3']],
    ['$: the root value of scalar content', C([{ path: '$', gte: 12 }]), ['n2']],
    ['$ prefix', C([{ path: '$', prefix: 'G03' }]), ['n1']],
    ['$ eq true', C([{ path: '$', eq: true }]), ['n3']],
    ['$ never matches inside an array', C([{ path: '$', eq: 12 }]), ['n2']],
    ['$ exists false: no content', C([{ path: '$', exists: false }]), ['n5']],
    ['digits are keys, not array indices', C([{ path: 'drug.codes.atc.0', eq: 'G03DA04' }]), []],
    ['a path through a scalar matches nothing', C([{ path: 'dose.x', exists: true }]), []],
    ['several conditions are AND-ed', C([{ path: 'drug.codes.atc', prefix: 'G' }, { path: 'dose', eq: 12 }]), ['m1']],
    ['a single condition object is accepted', C({ path: 'dose', gte: 100 }), ['m2']],
    ['clientData with colon keys', { clientData: [{ path: 'app:source', eq: 'manual' }] }, ['m3']],
    ['related-events convention', { clientData: [{ path: 'related.src1', exists: true }] }, ['m1']],
    ['content and clientData together', { content: [{ path: 'dose', eq: 12 }], clientData: [{ path: 'app:source', exists: true }] }, ['m1']],
    ['combined with streams', { streams: ['notes'], content: [{ path: '$', exists: true }] }, ['n1', 'n2', 'n3', 'n4', 'q1']],
    ['quotes, backslashes and path syntax in a value are data', C([{ path: 'label', eq: 'quote" back\\slash é ✓ $.x ? (@ == 1)' }]), ['q1']],
    ['prefix with a quote', C([{ path: 'label', prefix: 'quote"' }]), ['q1']],
    ['numbers with exponents', C([{ path: 'dose', lt: 1e300 }, { path: 'dose', gt: -1e-7 }]), ['m1', 'm2', 'm4']],
    ['combined with limit (newest first)', { content: [{ path: 'dose', exists: true }], limit: 2 }, ['m4', 'm5']],
  ])('%s', async (_n, query, expected) => {
    const { status, body } = await get(query);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(names(body.events)).toEqual([...expected].sort());
  });

  it('filters only what the access can read', async () => {
    const { status, body } = await get(C([{ path: 'drug.codes.atc', eq: 'G03DA04' }]));
    expect(status).toBe(200);
    expect(names(body.events)).toEqual(['m1']);
    const personal = await get(C([{ path: 'drug.codes.atc', eq: 'G03DA04' }]), u.token);
    expect(names(personal.body.events)).toEqual(['h1', 'm1']);
  });

  it('batch calls take the conditions as plain arrays', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/${u.username}/`,
      headers: { authorization: u.token },
      payload: [{ method: 'events.get', params: { content: [{ path: 'drug.codes.atc', prefix: 'B01' }], limit: 10 } }],
    });
    expect(res.statusCode).toBe(200);
    expect(names(res.json().results[0].events)).toEqual(['m2']);
  });

  it('gives the same events as the reference semantics, condition by condition', async () => {
    const docs = SEED.filter(([n]) => n !== 'h1').map(([name, , e]) => ({ name, ...e }));
    const paths = ['$', 'drug', 'drug.codes.atc', 'drug.name', 'taken', 'dose', 'label', 'x'];
    const values: unknown[] = ['G03DA04', 'true', true, false, 1, 12, -3.5, 'G', ''];
    const conds: unknown[] = [];
    for (const path of paths) {
      conds.push({ path, exists: true }, { path, exists: false });
      for (const v of values) {
        conds.push({ path, eq: v }, { path, neq: v }, { path, in: [v, 'B01AC06'] });
        if (typeof v === 'number') conds.push({ path, gt: v }, { path, gte: v }, { path, lt: v }, { path, lte: v });
        if (typeof v === 'string') conds.push({ path, prefix: v });
      }
    }
    const mismatches: string[] = [];
    for (const cond of conds) {
      const { body } = await get(C([cond]));
      const parsed = parseContentQuery('content', [cond]);
      const expected = docs.filter((d) => matchesContentQuery(d, parsed)).map((d) => d.name).sort();
      if (JSON.stringify(names(body.events)) !== JSON.stringify(expected)) mismatches.push(`${JSON.stringify(cond)}: ${JSON.stringify(names(body.events))} ≠ ${JSON.stringify(expected)}`);
    }
    for (const path of ['$', 'app:source', 'related', 'related.src1', 'x']) {
      for (const cond of [{ path, exists: true }, { path, exists: false }, { path, eq: 'scan' }, { path, neq: 'scan' }, { path, prefix: 'derived' }, { path, in: ['manual', 1] }]) {
        const { body } = await get({ clientData: [cond], limit: 100 });
        const expected = docs.filter((d) => matchesContentQuery(d, parseContentQuery('clientData', [cond]))).map((d) => d.name).sort();
        if (JSON.stringify(names(body.events)) !== JSON.stringify(expected)) mismatches.push(`clientData ${JSON.stringify(cond)}: ${JSON.stringify(names(body.events))} ≠ ${JSON.stringify(expected)}`);
      }
    }
    expect(conds.length).toBeGreaterThan(200);
    expect(mismatches).toEqual([]);
  }, 90_000);

  it.each<[string, unknown]>([
    ['not an array or object', '"drug"'],
    ['no operator', [{ path: 'dose' }]],
    ['two operators', [{ path: 'dose', gt: 1, lt: 5 }]],
    ['unknown operator', [{ path: 'dose', regex: '.*' }]],
    ['missing path', [{ eq: 1 }]],
    ['array index syntax', [{ path: 'a[0]', eq: 1 }]],
    ['wildcard', [{ path: 'a.*', eq: 1 }]],
    ['empty segment', [{ path: 'a..b', eq: 1 }]],
    ['eq null', [{ path: 'dose', eq: null }]],
    ['eq an object', [{ path: 'dose', eq: { a: 1 } }]],
    ['in empty', [{ path: 'dose', in: [] }]],
    ['in with null', [{ path: 'dose', in: [1, null] }]],
    ['gt a string', [{ path: 'dose', gt: '5' }]],
    ['exists not boolean', [{ path: 'dose', exists: 1 }]],
    ['prefix not a string', [{ path: 'dose', prefix: 1 }]],
    ['too many conditions', Array.from({ length: 51 }, () => ({ path: 'dose', exists: true }))],
  ])('refuses %s: 400 invalid-request-structure', async (_n, content) => {
    for (const field of ['content', 'clientData']) {
      const { status, body } = await get({ [field]: content });
      expect(status, JSON.stringify(body)).toBe(400);
      expect(body.error.id).toBe('invalid-request-structure');
    }
  });

  it('refuses a NUL in a query string with the edge rule: 400 invalid-parameters-format (invalid-string)', async () => {
    for (const field of ['content', 'clientData']) {
      const { status, body } = await get({ [field]: [{ path: 'dose', eq: 'a\u0000b' }] });
      expect(status, JSON.stringify(body)).toBe(400);
      expect(body.error.id).toBe('invalid-parameters-format');
    }
  });

  it('service info advertises features.contentQueries', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/reg/service/info' });
    expect(res.json().features).toMatchObject({ contentQueries: true });
  });

  it('lists every visible event without a content query', async () => {
    const { body } = await get({ limit: 100 });
    expect(names(body.events)).toEqual([...VISIBLE].sort());
  });
});
