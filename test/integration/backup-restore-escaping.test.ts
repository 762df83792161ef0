import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress } from '../../src/backup/progress.js';
import { runBackup } from '../../src/cli/backup.js';
import { runRestore } from '../../src/cli/restore.js';
import { createLogger } from '../../src/logging/logger.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { api, giveRqliteCredential } from '../helpers/backup-seed.js';

/**
 * Hostile text through bin/backup → bin/restore (issue #12): the PostgreSQL import writes events,
 * versions and series through COPY text format (copy-rows.ts), where tab, newline, CR, backslash and
 * `\N` mean something. Every such value must come back byte for byte through the API, and so must
 * multi-byte UTF-8 longer than a read chunk (a character split across two chunks of the backup file).
 */
const logger = createLogger({ level: 'silent', role: 'test' });
const run = randomBytes(3).toString('hex');
// Series holders updated before the write answers (as in backup-restore.test.ts), so the source's dump is final.
const ENV = { HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0', HOMECORE_VERSIONING__FORCE_KEEP_HISTORY: 'true', HOMECORE_INTEGRITY__EVENTS: 'true' };

const HOSTILE = [
  'tab\there', 'new\nline', 'cr\rlf\r\n', 'back\\slash', '\\N', '\\\\N', '\\.', '\\.\n', 'ends with \\', '\t', '\\t\\n\\r', 'quote " and \\"',
  '{"a",b}', 'NULL', '', 'é ü ß 中文 עברית 🙂 👩‍👩‍👧 e\u0301', '\u2028\u2029', 'tab\t\\N\tnull\n\\.\n',
];
// Longer than the 64 KiB read chunks: 2-, 3- and 4-byte characters straddle chunk boundaries.
const LONG = `${'é'.repeat(40_000)}${'€'.repeat(40_000)}${'🙂'.repeat(20_000)}`;

let source: ApiTestApp;
let target: ApiTestApp;
let user: TestUser;
const apps: ApiTestApp[] = [];
const ids: string[] = [];
let versioned = '';
let holder = '';
/** Docs rewritten with raw whitespace, by event id. */
const rawDocs = new Map<string, string>();

const core = async (name: string): Promise<ApiTestApp> => {
  const t = await createApiTestApp({ ...ENV, HOMECORE_CORE__ID: `esc-${name}-${run}` });
  giveRqliteCredential(t);
  apps.push(t);
  return t;
};

/** The user's events (all states), a version history and a series, as the API answers them. */
async function dump(t: ApiTestApp): Promise<{ events: string; history: string; series: string; streams: string }> {
  const u = { ...user };
  const events = await api(t, u, 'GET', '/events?limit=100000&state=all&includeDeletions=true');
  const history = await api(t, u, 'GET', `/events/${versioned}?includeHistory=true`);
  const series = await api(t, u, 'GET', `/events/${holder}/series?fromDeltaTime=0`);
  const streams = await api(t, u, 'GET', '/streams?state=all');
  for (const r of [events, history, series, streams]) expect(r.status, JSON.stringify(r.body)).toBe(200);
  const strip = (b: Record<string, unknown>): string => JSON.stringify({ ...b, meta: undefined });
  return { events: strip(events.body), history: strip(history.body), series: strip(series.body), streams: strip(streams.body) };
}

beforeAll(async () => {
  source = await core('source');
  user = await source.createUser();
  for (const s of [{ id: 'plain', name: 'tab\tname\\N' }, { id: 'NULL', name: 'x' }, { id: 'a.b~c_', name: 'y' }]) {
    const res = await api(source, user, 'POST', '/streams', s);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  // Stream ids are slugified (A-Za-z0-9-._~); unquoted in an array literal, `NULL` would be a NULL element.
  const streamIds = ['plain', 'NULL', 'a.b~c_'];
  for (const [i, text] of [...HOSTILE, LONG].entries()) {
    const res = await api(source, user, 'POST', '/events', {
      streamIds: [streamIds[i % 3] as string], type: 'note/txt', content: text, description: text,
      clientData: { [text]: text, nested: { list: [text, null, '\\N'] } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push((res.body.event as { id: string }).id);
  }
  // Docs stored by another writer (raw SQL, an older release): raw CR, LF and tab as JSON whitespace
  // (bin/backup's COPY translates CR/LF to spaces, user-data-lines.ts), around strings holding
  // escaped tabs, newlines, backslashes and `\N`. Same JSON, so the API shows the same events.
  for (const id of [ids[0], ids[2], ids[4]]) {
    const { rows } = await source.pool.query<{ doc: string }>('SELECT doc FROM events WHERE user_id = $1 AND id = $2', [user.user.id, id]);
    const raw = JSON.stringify(JSON.parse(rows[0]?.doc ?? ''), null, '\t').replaceAll('\n', '\r\n');
    await source.pool.query('UPDATE events SET doc = $3 WHERE user_id = $1 AND id = $2', [user.user.id, id, raw]);
    rawDocs.set(id as string, raw);
  }
  const obj = await api(source, user, 'POST', '/events', { streamIds, type: 'note/txt', content: 'v1 \\N\tfirst' });
  versioned = (obj.body.event as { id: string }).id;
  for (const text of HOSTILE.slice(0, 4)) expect((await api(source, user, 'PUT', `/events/${versioned}`, { content: `v ${text}` })).status).toBe(200);
  const h = await api(source, user, 'POST', '/events', { streamIds: ['plain'], type: 'series:mass/kg', time: Date.now() / 1000 - 3600 });
  holder = (h.body.event as { id: string }).id;
  const points = [[0, 70.5], [1.25, -0], [2, 1e21], [3, 5e-324]];
  expect((await api(source, user, 'POST', `/events/${holder}/series`, { format: 'flatJSON', fields: ['deltaTime', 'value'], points })).status).toBe(200);
}, 300_000);

afterAll(async () => {
  for (const t of apps) await t.close();
});

describe('backup → restore of hostile text', () => {
  it('gives back every event, version, stream and series point byte for byte', async () => {
    const before = await dump(source);
    // The fixtures reached the source as sent (else the comparison below proves little).
    const events = JSON.parse(before.events) as { events: { id: string; content: unknown }[] };
    for (const [i, text] of [...HOSTILE, LONG].entries()) expect(events.events.find((e) => e.id === ids[i])?.content).toBe(text);
    const dir = mkdtempSync(join(tmpdir(), 'homecore-esc-'));
    expect(await runBackup(source.config, logger, { user: null, dir, passphraseFile: null, compress: false }, silentProgress)).toBe(0);
    const name = readdirSync(dir).find((n) => n.startsWith(`esc-source-${run}_`)) as string;
    target = await core('target');
    const lines: string[] = [];
    const code = await runRestore(target.config, logger, { dir: join(dir, name), user: null, passphraseFile: null }, silentProgress, (l) => lines.push(l));
    expect(code, lines.join('\n')).toBe(0);
    const after = await dump(target);
    expect(JSON.parse(after.events)).toEqual(JSON.parse(before.events)); // a readable diff first
    expect(after.events).toBe(before.events);
    expect(after.history).toBe(before.history);
    expect(after.series).toBe(before.series);
    expect(after.streams).toBe(before.streams);
    // The rewritten docs: stored with CR/LF turned into spaces, the raw tabs kept, still the same JSON.
    for (const [id, raw] of rawDocs) {
      const { rows } = await target.pool.query<{ doc: string }>('SELECT doc FROM events WHERE user_id = $1 AND id = $2', [user.user.id, id]);
      expect(raw).toMatch(/\r\n\t/);
      expect(rows[0]?.doc).toBe(raw.replace(/[\r\n]/g, ' '));
    }
    // Queries by stream read the restored stream_ids / stream_keys columns, not only the doc.
    for (const s of ['NULL', 'a.b~c_']) {
      const q = `/events?limit=1000&streams=${encodeURIComponent(JSON.stringify([s]))}`;
      const [a, b] = [await api(source, user, 'GET', q), await api(target, user, 'GET', q)];
      expect(b.status).toBe(200);
      expect((b.body.events as unknown[]).length).toBeGreaterThan(0);
      expect(JSON.stringify(b.body.events)).toBe(JSON.stringify(a.body.events));
    }
  }, 300_000);
});
