import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { silentProgress } from '../../src/backup/progress.js';
import { runBackup } from '../../src/cli/backup.js';
import { runRestore } from '../../src/cli/restore.js';
import { createLogger } from '../../src/logging/logger.js';
import type { EngineName } from '../../src/storage/interfaces/engine-module.js';
import { engineFixtures } from '../engines/fixtures.js';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { dumpUser, giveRqliteCredential, seedUser } from '../helpers/backup-seed.js';

/**
 * A backup moves between engines (issues #12, #14): a PostgreSQL core backed up with bin/backup
 * restores into a MongoDB core, whose own backup restores into a fresh PostgreSQL core, and every
 * user reads back identically through the API at each step (events with history and deletions,
 * streams, accesses, webhooks, profile, series, attachments byte for byte).
 */
const logger = createLogger({ level: 'silent', role: 'test' });
const run = randomBytes(3).toString('hex');
// As backup-restore.test.ts: history and kept deletions are part of the round trip, series holders
// updated before each write answers, event integrity on.
const DATA_ENV = { HOMECORE_SERIES__METADATA_UPDATE_DELAY_MS: '0', HOMECORE_VERSIONING__FORCE_KEEP_HISTORY: 'true', HOMECORE_VERSIONING__DELETION_MODE: 'keep-authors', HOMECORE_INTEGRITY__EVENTS: 'true', HOMECORE_WEBHOOKS__ALLOWED_HOSTS: '["127.0.0.1"]' };
const apps: ApiTestApp[] = [];
const drops: (() => Promise<void>)[] = [];

/** A core on a fresh database of `engine`, whatever TEST_STORAGE_ENGINE says. */
async function core(engine: EngineName, name: string): Promise<ApiTestApp> {
  const fixture = (await engineFixtures()).find((f) => f.name === engine);
  if (fixture === undefined) throw new Error(`no ${engine} engine in this build`);
  const db = await fixture.freshDatabase(inject('engineServers')[engine]);
  drops.push(db.drop);
  const t = await createApiTestApp({ ...DATA_ENV, ...db.env, HOMECORE_CORE__ID: `x-${name}-${run}` });
  expect(t.config.storages.engine).toBe(engine);
  giveRqliteCredential(t);
  apps.push(t);
  return t;
}

async function backup(t: ApiTestApp, user: string | null = null): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'homecore-xbackup-'));
  // The reason of a refusal goes to progress.warn: kept, so a failure says it.
  const warnings: string[] = [];
  const code = await runBackup(t.config, logger, { user, dir, passphraseFile: null, compress: true }, { ...silentProgress, warn: (m) => warnings.push(m) });
  expect({ code, warnings }).toEqual({ code: 0, warnings: [] });
  return join(dir, readdirSync(dir)[0] as string);
}

async function restore(t: ApiTestApp, dir: string, user: string | null = null): Promise<void> {
  const lines: string[] = [];
  const code = await runRestore(t.config, logger, { dir, user, passphraseFile: null }, silentProgress, (l) => lines.push(l));
  expect(lines).toEqual([]);
  expect(code).toBe(0);
}

let users: TestUser[];
let before: Map<string, Awaited<ReturnType<typeof dumpUser>>>;

async function expectSame(t: ApiTestApp, u: TestUser): Promise<void> {
  const expected = before.get(u.username);
  if (expected === undefined) throw new Error(`no dump of ${u.username}`);
  const got = await dumpUser(t, u);
  expect(got.data).toEqual(expected.data);
  expect([...got.files.keys()].sort()).toEqual([...expected.files.keys()].sort());
  for (const [key, bytes] of expected.files) expect(got.files.get(key)?.equals(bytes), key).toBe(true);
}

beforeAll(async () => {
  const source = await core('postgresql', 'pg1');
  users = [await source.createUser(), await source.createUser()];
  await seedUser(source, users[0] as TestUser, 12);
  await seedUser(source, users[1] as TestUser, 3);
  before = new Map();
  for (const u of users) before.set(u.username, await dumpUser(source, u));
}, 300_000);

afterAll(async () => {
  for (const t of apps) await t.close();
  for (const drop of drops) await drop().catch(() => undefined);
});

describe('backup across engines', () => {
  it('PostgreSQL → MongoDB → PostgreSQL: the whole core, every user identical through the API', async () => {
    const pgBackup = await backup(apps[0] as ApiTestApp);
    const mongo = await core('mongodb', 'mongo');
    await restore(mongo, pgBackup);
    for (const u of users) await expectSame(mongo, u);
    const mongoBackup = await backup(mongo);
    const manifest = JSON.parse(readFileSync(join(mongoBackup, 'manifest.json'), 'utf8')) as { versions: { engine: string } };
    expect(manifest.versions.engine).toBe('mongodb');
    const back = await core('postgresql', 'pg2');
    await restore(back, mongoBackup);
    for (const u of users) await expectSame(back, u);
  }, 600_000);

  it('one user (--user) from a MongoDB core into a PostgreSQL core that has others', async () => {
    const mongo = apps.find((t) => t.config.storages.engine === 'mongodb') as ApiTestApp;
    const u = users[1] as TestUser;
    const oneUser = await backup(mongo, u.username);
    const target = await core('postgresql', 'pg3');
    const resident = await target.createUser();
    await restore(target, oneUser, u.username);
    await expectSame(target, u);
    expect((await target.services.stores.users.list()).map((x) => x.username).sort()).toEqual([resident.username, u.username].sort());
  }, 300_000);
});
