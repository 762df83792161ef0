import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../src/domain/types.js';
import { DuplicateKeyError } from '../../src/storage/interfaces/errors.js';
import type { EventsStorePolicy } from '../../src/storage/interfaces/events-store.js';
import type { Stores } from '../../src/storage/interfaces/stores.js';
import type { UserDataLines, UserDataRecord } from '../../src/storage/interfaces/user-data-store.js';
import { engines, type EngineDatabase, type EngineFixture } from './engines.js';
import { event, eventDeletions, query, stream, user } from './items.js';

/**
 * UserDataStore (bin/backup, bin/restore; issue #12), on every engine and across engines: a user
 * exported from one engine and imported into another (or the same) reads back identically through
 * every store, a second import is refused, and a failed import leaves nothing.
 */
const POLICY: EventsStorePolicy = { keepHistory: true, deletionMode: 'keep-authors', integrity: null };
const U = user('user-d');
const OTHER = user('user-other');

function access(id: string, extra: Partial<Access> = {}): Omit<Access, 'token'> & { tokenHash: string; tokenSealed: string } {
  return {
    id, tokenHash: `hash-${id}`, tokenSealed: `sealed-${id}`, type: 'app', name: `app ${id}`, deviceName: null,
    permissions: [{ streamId: 'diary', level: 'read' }], expires: null, lastUsed: null, calls: { 'events.get': 3 },
    clientData: { 'a.b': 1 }, deleted: null, created: 1, createdBy: 'p', modified: 1, modifiedBy: 'p', ...extra,
  };
}

const points = (from: number, n: number): { eventId: string; deltaTimes: number[]; rows: string[] } => {
  const deltaTimes = Array.from({ length: n }, (_, i) => from + i);
  return { eventId: 'holder', deltaTimes, rows: deltaTimes.map((dt) => JSON.stringify([dt, dt % 7])) };
};

/** Every kind of record: versions, deletions, a nested tree, series over several chunks, a webhook, MFA. */
async function seed(stores: Stores): Promise<void> {
  await stores.users.create(U);
  await stores.users.create(OTHER);
  await stores.profile.update(U.id, 'private', { language: 'fr', 'dotted.key': { $x: 1 } });
  await stores.accesses.create(U.id, { ...access('personal'), type: 'personal', name: 'pryv-app' });
  await stores.accesses.create(U.id, access('reader'));
  await stores.accesses.updateVersioned(U.id, 'reader', 0, { name: 'reader 2', modified: 2, modifiedBy: 'p' }, { doc: { ...access('reader') }, replaced: 2 });
  await stores.accesses.create(U.id, access('gone'));
  await stores.accesses.markDeleted(U.id, ['gone'], 5);
  await stores.accesses.create(OTHER.id, access('theirs'));
  for (const s of [stream('health'), stream('weight', { parentId: 'health' }), stream('diary', { clientData: { k: 'v' } }), stream('old')]) {
    await stores.streams.create(U.id, s);
  }
  await stores.streams.delete(U.id, ['old'], 6);
  for (let i = 0; i < 12; i += 1) await stores.events.create(U.id, event(`e${String(i).padStart(2, '0')}`, { streamIds: ['diary'], time: 1000 + i, content: { n: i, 'x.y': '$z' } }));
  await stores.events.update(U.id, 'e01', (e) => ({ ...e, content: 'v2', modified: 2, modifiedBy: 'b' }));
  await stores.events.update(U.id, 'e01', (e) => ({ ...e, content: 'v3', modified: 3, modifiedBy: 'c' }));
  await stores.events.update(U.id, 'e02', (e) => ({ ...e, trashed: true, modified: 4 }));
  await stores.events.update(U.id, 'e03', (e) => ({ ...e, description: 'to delete', modified: 4 }));
  await stores.events.delete(U.id, 'e03', 7);
  await stores.events.delete(U.id, 'e04', 8);
  await stores.events.create(U.id, event('running', { streamIds: ['weight'], duration: null, time: 2000 }));
  await stores.events.create(U.id, event('holder', { streamIds: ['weight'], type: 'series:mass/kg', duration: 0 }));
  await stores.series.write(U.id, [points(0, 1500)]);
  await stores.series.write(U.id, [points(1500, 10)]);
  await stores.events.create(OTHER.id, event('theirs'));
  await stores.webhooks.create(U.id, {
    id: 'hook', accessId: 'reader', url: 'https://example.test/hook', secretSealed: 'sealed', state: 'active', scopes: { s: { kind: 'events', query: { 'a.b': 1 } } },
    runCount: 2, failCount: 1, currentRetries: 0, maxRetries: 5, minIntervalMs: 0, runs: [{ status: 200, timestamp: 3 }], lastRun: { status: 200, timestamp: 3 },
    created: 1, createdBy: 'reader', modified: 1, modifiedBy: 'reader',
  });
  await stores.mfa.activate(U.id, { method: 'totp', data: { secretSealed: 's' }, recoveryCodeHashes: ['h1', 'h2'], activatedAt: 9 });
  expect(await stores.mfa.useTotpStep(U.id, 42)).toBe(true);
  await stores.emailVerifications.markVerified(U.id, U.email, 10);
}

/** What the stores show of user U, in a fixed order (the comparison of two engines). */
async function observe(stores: Stores): Promise<Record<string, unknown>> {
  const byId = <T extends { id: string }>(list: T[]): T[] => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
  const events = [];
  for await (const e of stores.events.find(U.id, query({ state: 'all', sortAscending: true }))) events.push(e);
  const series: string[] = [];
  for await (const piece of stores.series.read(U.id, 'holder', { from: null, to: null })) series.push(piece);
  const accesses = byId(await stores.accesses.list(U.id, { includeDeletions: true }));
  return {
    user: await stores.users.getById(U.id),
    profile: await stores.profile.get(U.id, 'private'),
    accesses,
    accessHistory: await Promise.all(accesses.map((a) => stores.accesses.history(U.id, a.id))),
    byToken: await stores.accesses.findByTokenHash(U.id, 'hash-reader'),
    streams: byId(await stores.streams.all(U.id)),
    streamDeletions: await stores.streams.deletionsSince(U.id, 0),
    events,
    eventDeletions: await eventDeletions(stores, U.id),
    history: await Promise.all(events.map((e) => stores.events.history(U.id, e.id))),
    deletedHistory: await stores.events.history(U.id, 'e03'),
    series: JSON.parse(`[${series.filter((p) => p !== '').join(',')}]`) as unknown,
    webhooks: await stores.webhooks.list(U.id),
    mfa: await stores.mfa.get(U.id),
    emailVerification: await stores.emailVerifications.get(U.id),
  };
}

async function collect(records: AsyncIterable<UserDataRecord>): Promise<UserDataRecord[]> {
  const out: UserDataRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

async function* replay(records: UserDataRecord[], failAfter?: number): AsyncGenerator<UserDataRecord> {
  for (const [i, r] of records.entries()) {
    if (i === failAfter) throw new Error('the backup file ended early');
    yield r;
  }
}

/** Each engine once as the source: its export, and what its stores show. */
const sources = new Map<string, { records: UserDataRecord[]; seen: Record<string, unknown> }>();
const dbs: EngineDatabase[] = [];
async function fresh(fixture: EngineFixture): Promise<Stores> {
  const db = await fixture.freshDatabase();
  dbs.push(db);
  return db.openStores(POLICY);
}

beforeAll(async () => {
  for (const fixture of engines) {
    const stores = await fresh(fixture);
    await seed(stores);
    sources.set(fixture.name, { records: await collect(stores.userData.exportUser(U.id)), seen: await observe(stores) });
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(dbs.map((d) => d.dispose()));
});

describe.each(engines)('user data export: $name', (fixture) => {
  it('yields the user first, then every kind in UserDataStore order, and nothing of another user', () => {
    const { records } = sources.get(fixture.name) ?? { records: [] };
    const order = ['user', 'profile', 'access', 'access-version', 'stream', 'stream-deletion', 'event', 'event-version', 'event-deletion', 'series', 'webhook', 'mfa', 'email-verification'];
    const kinds = records.map((r) => r.kind);
    expect(kinds.map((k) => order.indexOf(k))).toEqual([...kinds.map((k) => order.indexOf(k))].sort((a, b) => a - b));
    expect(new Set(kinds)).toEqual(new Set(order));
    expect(JSON.stringify(records)).not.toContain('theirs');
    // Parents before children.
    const streams = records.flatMap((r) => (r.kind === 'stream' ? [r.stream.id] : []));
    expect(streams.indexOf('health')).toBeLessThan(streams.indexOf('weight'));
    expect(records.filter((r) => r.kind === 'series').reduce((n, r) => n + (r.kind === 'series' ? r.count : 0), 0)).toBe(1510);
  });

  it('exports nothing for an absent user', async () => {
    const stores = await fresh(fixture);
    expect(await collect(stores.userData.exportUser('nobody'))).toEqual([]);
  });
});

/** exportUserLines as records: each ready-made line parsed (what bin/restore reads of it). */
async function linesAsRecords(items: AsyncIterable<UserDataRecord | UserDataLines>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of items) {
    if (item.kind !== 'lines') {
      out.push(item);
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of item.chunks) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.endsWith('\n') || text === '').toBe(true);
    for (const line of text.split('\n').slice(0, -1)) {
      const parsed = JSON.parse(line) as { kind: string };
      expect(parsed.kind).toBe(item.of);
      out.push(parsed);
    }
  }
  return out;
}

// PostgreSQL makes bin/backup's event lines itself (COPY); the other engines leave it to exportUser.
describe.each(engines.filter((f) => f.name === 'postgresql'))('user data lines: $name', (fixture) => {
  it('hold exportUser\'s records, events and versions as their JSON lines, whatever their text holds', async () => {
    const stores = await fresh(fixture);
    await seed(stores);
    const tricky = 'a\nb\r\tc \\ "q" \u0001\u0002 é 😀 "attachments" \\"attachments\\"';
    await stores.events.create(U.id, event('tricky', { streamIds: ['diary'], content: { text: tricky, attachments: 1 }, description: tricky }));
    await stores.events.update(U.id, 'tricky', (e) => ({ ...e, content: tricky, modified: 5 }));
    const lines = stores.userData.exportUserLines;
    if (lines === undefined) throw new Error('PostgreSQL offers exportUserLines');
    const expected = JSON.parse(JSON.stringify((await collect(stores.userData.exportUser(U.id))).map((r) => (r.kind === 'event' ? { kind: r.kind, event: r.event } : r)))) as unknown[];
    const got = await linesAsRecords(lines.call(stores.userData, U.id));
    // Events come in no particular order (versions do: oldest first).
    const byEventId = (records: unknown[]): unknown[] => {
      const id = (r: unknown): string => ((r as UserDataRecord).kind === 'event' ? (r as { event: { id: string } }).event.id : '');
      const first = records.findIndex((r) => id(r) !== '');
      const events = records.filter((r) => id(r) !== '').sort((a, b) => (id(a) < id(b) ? -1 : 1));
      return [...records.slice(0, first), ...events, ...records.slice(first + events.length)];
    };
    expect(byEventId(got)).toEqual(byEventId(expected));
    expect(got.filter((r) => (r as UserDataRecord).kind === 'event-version').length).toBeGreaterThan(2);
    expect(await linesAsRecords(lines.call(stores.userData, 'nobody'))).toEqual([]);
  });

  it('stopping inside the lines discards the connection: the next exports work', async () => {
    const stores = await fresh(fixture);
    await seed(stores);
    const lines = stores.userData.exportUserLines;
    if (lines === undefined) throw new Error('PostgreSQL offers exportUserLines');
    for (let i = 0; i < 6; i += 1) {
      for await (const item of lines.call(stores.userData, U.id)) if (item.kind === 'lines') break;
    }
    expect((await linesAsRecords(lines.call(stores.userData, U.id))).length).toBe((await collect(stores.userData.exportUser(U.id))).length);
  });
});

const pairs = engines.flatMap((from) => engines.map((to) => ({ from: from.name, to })));

describe.each(pairs)('user data import: $from → $to.name', ({ from, to }) => {
  it('reads back through every store as on the source; a second import is refused', async () => {
    const source = sources.get(from);
    if (source === undefined) throw new Error(`no export of ${from}`);
    const stores = await fresh(to);
    const counts = await stores.userData.importUser(replay(source.records));
    expect(counts.event).toBe(source.records.filter((r) => r.kind === 'event').length);
    expect(await observe(stores)).toEqual(source.seen);
    await expect(stores.userData.importUser(replay(source.records))).rejects.toThrow(DuplicateKeyError);
    expect(await observe(stores)).toEqual(source.seen);
    // And the imported user goes on as any other: history continues after the imported versions.
    await stores.events.update(U.id, 'e01', (e) => ({ ...e, content: 'v4', modified: 11, modifiedBy: 'd' }));
    expect((await stores.events.history(U.id, 'e01')).map((e) => e.content)).toEqual([{ n: 1, 'x.y': '$z' }, 'v2', 'v3']);
  });

  it('an import that fails part-way leaves nothing, and can be run again', async () => {
    const source = sources.get(from);
    if (source === undefined) throw new Error(`no export of ${from}`);
    const stores = await fresh(to);
    const half = source.records.findIndex((r) => r.kind === 'series');
    await expect(stores.userData.importUser(replay(source.records, half))).rejects.toThrow('ended early');
    expect(await stores.users.getById(U.id)).toBeNull();
    expect(await stores.accesses.list(U.id, { includeDeletions: true })).toEqual([]);
    expect(await eventDeletions(stores, U.id)).toEqual([]);
    await stores.userData.importUser(replay(source.records));
    expect(await observe(stores)).toEqual(source.seen);
  });
});
