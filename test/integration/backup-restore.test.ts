import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress } from '../../src/backup/progress.js';
import { applyRetention } from '../../src/backup/retention.js';
import { runBackup } from '../../src/cli/backup.js';
import { runRestore } from '../../src/cli/restore.js';
import { createLogger } from '../../src/logging/logger.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { api, createEvent, dumpUser, giveRqliteCredential, seedUser } from '../helpers/backup-seed.js';

/**
 * bin/backup and bin/restore end to end (issue #12): a core seeded through the API, backed up while
 * another user keeps writing, restored into a fresh core and compared through the API; altered,
 * partial, newer-schema and wrongly unlocked backups refused with nothing written.
 */
const logger = createLogger({ level: 'silent', role: 'test' });
const run = `${randomBytes(3).toString('hex')}`;
// History and deletion records on, so past versions and kept deletions are part of the round trip.
// Series holders updated before each write answers (delay 0): by default their duration follows the
// points up to series.metadataUpdateDelayMs later, and a snapshot in between keeps the older
// duration (docs/operations.md#backups), which this byte-for-byte comparison would see as a change.
const DATA_ENV = { HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0', HOMECORE_VERSIONING__FORCE_KEEP_HISTORY: 'true', HOMECORE_VERSIONING__DELETION_MODE: 'keep-authors', HOMECORE_INTEGRITY__EVENTS: 'true', HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' };
const core = async (name: string): Promise<ApiTestApp> => {
  const t = await createApiTestApp({ ...DATA_ENV, HOMECORE_CORE__ID: `bk-${name}-${run}` });
  giveRqliteCredential(t);
  return t;
};

let source: ApiTestApp;
let quiet: TestUser;
let busy: TestUser;
let backupsDir: string;
let plainBackup: string;
let beforeBackup: { quiet: Awaited<ReturnType<typeof dumpUser>>; busyEventIds: string[] };
let busyAfter: Awaited<ReturnType<typeof dumpUser>>;
/** Ids of the events the busy user wrote during the backup, in order. */
const writtenDuring: string[] = [];
const apps: ApiTestApp[] = [];

async function restoreInto(t: ApiTestApp, dir: string, extra: { user?: string; passphraseFile?: string } = {}): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runRestore(t.config, logger, { dir, user: extra.user ?? null, passphraseFile: extra.passphraseFile ?? null }, silentProgress, (l) => lines.push(l));
  return { code, lines };
}

async function userCount(t: ApiTestApp): Promise<number> {
  return (await t.services.stores.users.list()).length;
}

/** A copy of the plain backup to damage. */
function copyOfBackup(name: string): string {
  const dir = join(backupsDir, `copies-${name}`, basename(plainBackup));
  cpSync(plainBackup, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  source = await core('source');
  apps.push(source);
  quiet = await source.createUser();
  busy = await source.createUser();
  await seedUser(source, quiet, 30);
  await seedUser(source, busy, 10);
  await source.services.stores.mailTemplates.put({ kind: 'welcome', language: 'fr', part: 'subject' }, 'Bienvenue {{ username }}');
  backupsDir = mkdtempSync(join(tmpdir(), 'homecore-backups-'));
  const busyBefore = ((await api(source, busy, 'GET', '/events?limit=100000&state=all')).body.events as { id: string }[]).map((e) => e.id);
  beforeBackup = { quiet: await dumpUser(source, quiet), busyEventIds: busyBefore };
  // The busy user keeps writing while the backup runs: the backup neither waits for nor blocks it.
  let writing = true;
  let written = 0;
  const writer = (async () => {
    while (writing) {
      writtenDuring.push(await createEvent(source, busy, `during ${written}`));
      written += 1;
    }
  })();
  const code = await runBackup(source.config, logger, { user: null, dir: backupsDir, passphraseFile: null, compress: false }, silentProgress);
  writing = false;
  await writer;
  expect(code).toBe(0);
  expect(written).toBeGreaterThan(0);
  const name = readdirSync(backupsDir).find((n) => n.startsWith(`bk-source-${run}_`));
  expect(name).toMatch(/_\d{4}-\d{2}-\d{2}-\d{4}$/);
  plainBackup = join(backupsDir, name as string);
  busyAfter = await dumpUser(source, busy);
  // Seeding through the API on the embedded FerretDB (TEST_STORAGE_ENGINE=mongodb) takes several times longer.
}, 900_000);

afterAll(async () => {
  for (const t of apps) await t.close();
});

describe('backup', () => {
  it('writes a manifest with versions, counts and the checksum of every file, and the platform DB', () => {
    const manifest = JSON.parse(readFileSync(join(plainBackup, 'manifest.json'), 'utf8')) as {
      versions: { userSchema: number; engine: string }; totals: Record<string, number>; files: Record<string, { sha256: string }>; users: unknown[];
    };
    expect(manifest.versions.engine).toBe(source.config.storages.engine);
    expect(manifest.versions.userSchema).toBeGreaterThan(0);
    expect(manifest.users).toHaveLength(2);
    expect(manifest.totals.attachments).toBe(8);
    // Content-addressed: the file both users attached identically (same.bin ×4) is stored once.
    expect(manifest.totals.attachmentFiles).toBe(5);
    expect(manifest.totals.series).toBeGreaterThan(0);
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['platform/platform.sqlite', 'platform/users.jsonl', 'config/config.json']));
    expect(Object.values(manifest.files).every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    // No secret in a plain backup.
    expect(readFileSync(join(plainBackup, 'config/config.json'), 'utf8')).not.toContain('test-token-secret');
  });

  it('never overwrites: a second run in the same minute is refused', async () => {
    const now = new Date();
    const first = await runBackup(source.config, logger, { user: quiet.username, dir: backupsDir, passphraseFile: null, compress: false }, silentProgress);
    const second = await runBackup(source.config, logger, { user: quiet.username, dir: backupsDir, passphraseFile: null, compress: false }, silentProgress);
    expect(first).toBe(0);
    // Unless the minute turned between both runs.
    if (new Date().getUTCMinutes() === now.getUTCMinutes()) expect(second).toBe(1);
  });
});

describe('retention', () => {
  it('drops the oldest whole-core backups beyond the rule, never per-user or .partial ones', async () => {
    const coreId = source.config.core.id;
    const old = Array.from({ length: 9 }, (_, i) => `${coreId}_2020-01-${String(i + 1).padStart(2, '0')}-0300`);
    for (const name of [...old, `${coreId}_2020-01-01-0300_alice`, `${coreId}_2019-12-31-0300.partial`, 'other-core_2020-01-01-0300']) {
      mkdirSync(join(backupsDir, name));
    }
    const removed = await applyRetention(backupsDir, coreId, { keepLast: 7, keepDailyDays: 30 });
    // The real backup is the newest; 2020 is long past the daily window: the newest 6 fakes stay.
    expect(removed.sort()).toEqual(old.slice(0, 3));
    for (const name of removed) expect(existsSync(join(backupsDir, name))).toBe(false);
    expect(existsSync(plainBackup)).toBe(true);
    for (const kept of [...old.slice(3), `${coreId}_2020-01-01-0300_alice`, `${coreId}_2019-12-31-0300.partial`, 'other-core_2020-01-01-0300']) {
      expect(existsSync(join(backupsDir, kept))).toBe(true);
    }
  });
});

describe('restore', () => {
  it('restores every user into a fresh core: the API shows the same data, attachments byte for byte', async () => {
    const target = await core('target');
    apps.push(target);
    const { code, lines } = await restoreInto(target, plainBackup);
    expect(lines).toEqual([]);
    expect(code).toBe(0);
    const restoredQuiet = await dumpUser(target, quiet);
    expect(restoredQuiet.data).toEqual(beforeBackup.quiet.data);
    expect(restoredQuiet.files.size).toBe(4);
    for (const [key, bytes] of beforeBackup.quiet.files) expect(restoredQuiet.files.get(key)?.equals(bytes)).toBe(true);
    // The busy user as of its snapshot: everything written before the backup, a prefix of what came during it.
    const restoredBusy = await dumpUser(target, busy);
    const events = (restoredBusy.data.events as { events: { id: string }[] }).events;
    const ids = new Set(events.map((e) => e.id));
    for (const id of beforeBackup.busyEventIds) expect(ids.has(id)).toBe(true);
    // One snapshot: of the events written one after the other during the run, a prefix (no gap).
    const kept = writtenDuring.filter((id) => ids.has(id));
    expect(kept).toEqual(writtenDuring.slice(0, kept.length));
    const later = new Map((busyAfter.data.events as { events: { id: string }[] }).events.map((e) => [e.id, e]));
    for (const e of events) expect(e).toEqual(later.get(e.id));
    for (const [key, bytes] of restoredBusy.files) expect(busyAfter.files.get(key)?.equals(bytes)).toBe(true);
    // The users now live on the target core: the platform maps them there.
    expect(await target.services.platform.coreOf(quiet.username)).toBe(target.config.core.id);
    // Core-wide data: the mail-template overrides set through the admin routes.
    expect(await target.services.stores.mailTemplates.get({ kind: 'welcome', language: 'fr', part: 'subject' })).toBe('Bienvenue {{ username }}');
    if (target.engine.name === 'postgresql') {
      // The deferred index and key builds (run beside the integrity check) were done before it returned.
      const schema = async (t: ApiTestApp): Promise<unknown[]> => (await t.pool.query(
        `SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' UNION ALL
         SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1`)).rows;
      expect(await schema(target)).toEqual(await schema(source));
      expect((await target.pool.query(`SELECT key FROM core_info WHERE key LIKE 'bulk_import%'`)).rows).toEqual([]);
    }
  });

  it('refuses a non-empty core, and restores one absent user with --user', async () => {
    const other = await core('other');
    apps.push(other);
    const resident = await other.createUser();
    const refused = await restoreInto(other, plainBackup);
    expect(refused.code).toBe(1);
    expect(refused.lines).toEqual([expect.stringMatching(/^restore refused: this core is not empty/)]);
    expect(await userCount(other)).toBe(1);
    const one = await restoreInto(other, plainBackup, { user: quiet.username });
    expect(one.code).toBe(0);
    expect((await dumpUser(other, quiet)).data).toEqual(beforeBackup.quiet.data);
    expect((await restoreInto(other, plainBackup, { user: quiet.username })).lines).toEqual([`restore refused: user ${quiet.username} already exists on this core`]);
    expect((await api(other, resident, 'GET', '/streams')).status).toBe(200);
  });

  it.each([
    ['an altered user file', (dir: string) => {
      const f = readdirSync(join(dir, 'users'))[0] as string;
      const p = join(dir, 'users', f);
      writeFileSync(p, readFileSync(p, 'utf8').replace('note 1', 'note X'));
    }, /^restore refused: checksum mismatch: users\//],
    ['an altered attachment', (dir: string) => {
      const f = readdirSync(join(dir, 'attachments'))[0] as string;
      const p = join(dir, 'attachments', f);
      const bytes = readFileSync(p);
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      writeFileSync(p, bytes);
    }, /^restore refused: checksum mismatch: attachments\//],
    ['a file added', (dir: string) => writeFileSync(join(dir, 'users', 'extra.jsonl'), '{}\n'), /^restore refused: unlisted file users\/extra\.jsonl/],
    ['a newer schema', (dir: string) => {
      const p = join(dir, 'manifest.json');
      const m = JSON.parse(readFileSync(p, 'utf8')) as { versions: { userSchema: number } };
      m.versions.userSchema = 9999;
      writeFileSync(p, JSON.stringify(m));
    }, /^restore refused: backup schema 9999 is newer than this core's/],
    ['a user file outside the listed files', (dir: string) => {
      const p = join(dir, 'manifest.json');
      const m = JSON.parse(readFileSync(p, 'utf8')) as { users: { file: string }[] };
      (m.users[0] as { file: string }).file = '../../../etc/passwd';
      writeFileSync(p, JSON.stringify(m));
    }, /^restore refused: user file \.\.\/\.\.\/\.\.\/etc\/passwd is not listed in the manifest/],
    ['no manifest', (dir: string) => renameSync(join(dir, 'manifest.json'), join(dir, 'manifest.old')), /^restore refused: .* has no manifest\.json/],
  ])('refuses %s with a one-line reason and writes nothing', async (name, damage, reason) => {
    const target = await core(`bad${apps.length}`);
    apps.push(target);
    const dir = copyOfBackup(name.replace(/\W+/g, '-'));
    damage(dir);
    const { code, lines } = await restoreInto(target, dir);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
    expect(await userCount(target)).toBe(0);
    expect(readdirSync(join(target.config.paths.varDir))).not.toContain('attachments');
    await target.close();
    apps.pop();
  });

  it('fails (exit 2) when a foreign key added back beside the integrity check finds a row pointing nowhere', async () => {
    const target = await core('orphan');
    apps.push(target);
    const dir = copyOfBackup('orphan');
    // A series chunk of no event, the manifest's size and hash of that file updated: only the deferred key can refuse it.
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { users: { file: string }[]; files: Record<string, { size: number; sha256: string }> };
    const file = (m.users[0] as { file: string }).file;
    writeFileSync(join(dir, file), `${readFileSync(join(dir, file), 'utf8')}${JSON.stringify({ kind: 'series', eventId: 'cnosuchevent0000000000000', first: 0, last: 1, count: 2, points: '[0,1],[1,2]' })}\n`);
    const bytes = readFileSync(join(dir, file));
    m.files[file] = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const steps: string[] = [];
    const progress = { ...silentProgress, step: (msg: string) => void steps.push(msg), warn: (msg: string) => void steps.push(msg) };
    expect(await runRestore(target.config, logger, { dir, user: null, passphraseFile: null }, progress, () => undefined)).toBe(2);
    expect(steps).toContain('building indexes');
    expect(steps.at(-1)).toMatch(/^restore failed: .*series_chunks/);
    await target.close();
    apps.pop();
  });

  it('refuses a partial backup', async () => {
    const dir = `${copyOfBackup('partial')}.partial`;
    renameSync(dir.replace(/\.partial$/, ''), dir);
    const target = apps[0] as ApiTestApp;
    expect((await restoreInto(target, dir)).lines).toEqual([expect.stringMatching(/^restore refused: .*\.partial is a partial backup/)]);
  });
});

describe('encrypted backup', () => {
  it('round-trips with its passphrase (compressed too), includes the secrets, and refuses a wrong one', async () => {
    const pass = join(backupsDir, 'pass.txt');
    writeFileSync(pass, 'correct horse battery staple\n', { mode: 0o600 });
    const wrong = join(backupsDir, 'wrong.txt');
    writeFileSync(wrong, 'not the passphrase at all\n');
    const dir = mkdtempSync(join(tmpdir(), 'homecore-enc-'));
    expect(await runBackup(source.config, logger, { user: null, dir, passphraseFile: pass, compress: true }, silentProgress)).toBe(0);
    const backup = join(dir, readdirSync(dir)[0] as string);
    const manifestText = readFileSync(join(backup, 'manifest.json'), 'utf8');
    expect(manifestText).not.toContain(quiet.username);
    expect(manifestText).toContain('secrets/secrets/rqlite-auth.json.enc');
    expect(manifestText).toContain('config/config.json.gz.enc');
    const userFile = readdirSync(join(backup, 'users'))[0] as string;
    expect(userFile).toMatch(/\.jsonl\.gz\.enc$/);
    expect(readFileSync(join(backup, 'users', userFile)).includes(Buffer.from('note 1'))).toBe(false);
    const target = await core('enc');
    apps.push(target);
    expect((await restoreInto(target, backup, { passphraseFile: wrong })).lines).toEqual(['restore refused: wrong passphrase, or the manifest was altered (MAC mismatch)']);
    expect((await restoreInto(target, backup)).lines).toEqual(['restore refused: the backup is encrypted: give its passphrase (--passphrase-file)']);
    expect(await userCount(target)).toBe(0);
    const ok = await restoreInto(target, backup, { passphraseFile: pass, user: quiet.username });
    expect(ok.code).toBe(0);
    const restored = await dumpUser(target, quiet);
    expect(restored.data).toEqual(beforeBackup.quiet.data);
    for (const [key, bytes] of beforeBackup.quiet.files) expect(restored.files.get(key)?.equals(bytes)).toBe(true);
  });
});
