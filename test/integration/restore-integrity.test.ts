import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIntegrity, problemCount } from '../../src/backup/integrity.js';
import { silentProgress, type Progress } from '../../src/backup/progress.js';
import { restoreBackup } from '../../src/backup/restore-backup.js';
import { runBackup } from '../../src/cli/backup.js';
import { runRestore } from '../../src/cli/restore.js';
import { createLogger } from '../../src/logging/logger.js';
import { attachmentsDirOf } from '../../src/storage/files/attachment-files.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { api, giveRqliteCredential, seedUser } from '../helpers/backup-seed.js';

/**
 * bin/restore's integrity check without a second read of every event (issue #12): event integrity
 * and series order are checked as the data goes in, and the engine confirms in SQL that what it
 * stores is what it imported (UserDataStore.verifyImported). Each way a restored core can be wrong
 * must still show: an event whose content no longer matches its integrity, a stored row that
 * differs from the backup, a missing file.
 */
const logger = createLogger({ level: 'silent', role: 'test' });
const run = randomBytes(3).toString('hex');
const ENV = { HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0', HOMECORE_INTEGRITY__EVENTS: 'true', HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' };
const apps: ApiTestApp[] = [];
let source: ApiTestApp;
let user: TestUser;
let backup: string;

const core = async (name: string): Promise<ApiTestApp> => {
  const t = await createApiTestApp({ ...ENV, HOMECORE_CORE__ID: `ri-${name}-${run}` });
  giveRqliteCredential(t);
  apps.push(t);
  return t;
};

/** A Progress that keeps the data of each step. */
function recording(): { progress: Progress; steps: Map<string, Record<string, unknown>> } {
  const steps = new Map<string, Record<string, unknown>>();
  return { steps, progress: { ...silentProgress, step: (msg, data = {}) => void steps.set(msg, data) } };
}

beforeAll(async () => {
  source = await core('source');
  user = await source.createUser();
  await seedUser(source, user, 12);
  const dir = mkdtempSync(join(tmpdir(), 'homecore-ri-'));
  expect(await runBackup(source.config, logger, { user: null, dir, passphraseFile: null, compress: false }, silentProgress)).toBe(0);
  backup = join(dir, readdirSync(dir).find((n) => n.startsWith(`ri-source-${run}_`)) as string);
}, 300_000);

afterAll(async () => {
  for (const t of apps) await t.close();
});

describe('restore integrity check', () => {
  it('names an event whose content no longer matches its integrity (a backup altered with its manifest)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'homecore-ri-copy-')), 'b');
    cpSync(backup, dir, { recursive: true });
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Record<string, { size: number; sha256: string }> };
    const file = Object.keys(manifest.files).find((f) => f.startsWith('users/')) as string;
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text).toContain('"note 3"');
    const altered = Buffer.from(text.replace('"note 3"', '"note Z"'));
    writeFileSync(join(dir, file), altered);
    manifest.files[file] = { size: altered.length, sha256: createHash('sha256').update(altered).digest('hex') };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const target = await core('altered');
    const { progress, steps } = recording();
    const code = await runRestore(target.config, logger, { dir, user: null, passphraseFile: null }, progress, () => undefined);
    expect(code).toBe(3);
    expect(steps.get('integrity check')).toMatchObject({ problems: 1 });
    const events = (await api(target, user, 'GET', '/events?limit=1000')).body.events as { content: unknown }[];
    expect(events.some((e) => e.content === 'note Z')).toBe(true);
  }, 120_000);

  it('confirms the stored rows in SQL: a doc changed after the import and a missing file are named', async () => {
    const target = await core('stored');
    const stores = target.services.stores;
    const attachmentsDir = attachmentsDirOf(target.config);
    const summary = await restoreBackup(
      { config: target.config, users: stores.users, userData: stores.userData, mailTemplates: stores.mailTemplates, engine: target.engine, rqlite: target.rqlite, attachmentsDir, progress: silentProgress },
      { dir: backup, passphrase: null, user: null });
    const deps = { coreId: target.config.core.id, users: stores.users, userData: stores.userData, rqlite: target.rqlite, attachmentsDir, knownHashes: summary.writtenHashes, imported: summary.imported };
    expect(summary.imported.size).toBe(1);
    const clean = await checkIntegrity(deps, false);
    expect(problemCount(clean)).toBe(0);
    expect(clean.checked).toBeGreaterThan(12);
    expect(clean.withIntegrity).toBe(clean.checked);
    expect(clean.series.pieces).toBeGreaterThan(0);
    expect(clean.attachments.checked).toBe(4);

    const listed = (await api(target, user, 'GET', '/events?limit=1000')).body.events as { id: string; content: unknown; attachments?: { id: string }[] }[];
    const note = listed.find((e) => e.content === 'note 5') as { id: string };
    await target.records.editEventContent(user.user.id, note.id, 'note 5 edited');
    const withFile = listed.find((e) => (e.attachments ?? []).length > 0) as { id: string; attachments: { id: string }[] };
    const path = join(attachmentsDir, user.user.id, withFile.id, withFile.attachments[0]?.id ?? '');
    expect(statSync(path).size).toBeGreaterThan(0);
    rmSync(path);
    const report = await checkIntegrity(deps, false);
    expect(report.stored).toEqual([{ userId: user.user.id, problem: expect.stringMatching(/^events: the stored text differs/) }]);
    expect(report.attachments.missing).toEqual([{ userId: user.user.id, eventId: withFile.id, fileId: withFile.attachments[0]?.id }]);
    expect(problemCount(report)).toBe(2);
  }, 120_000);
});
