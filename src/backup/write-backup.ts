import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Config } from '../config/index.js';
import { redactConfig } from '../config/redact.js';
import { platformSchemaVersion } from '../platform/migrate.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { platformBackup, readMappings } from '../platform/user-mappings.js';
import type { UserDataStore } from '../storage/interfaces/user-data-store.js';
import type { UsersStore } from '../storage/interfaces/users-store.js';
import type { MailTemplatesStore } from '../storage/interfaces/mail-templates-store.js';
import { forEachBounded } from './bounded.js';
import { deriveKey, newKdfParams, writeEncoded, type Codec } from './codec.js';
import { backupName, FORMAT_VERSION, MANIFEST, PARTIAL_SUFFIX, sealManifest, userLabel, type Manifest, type ManifestUser } from './manifest.js';
import type { Progress } from './progress.js';
import { backupUser, type BackupTarget } from './user-file.js';
import { BackupRefusedError, verifyBackup } from './verify.js';

export interface BackupDeps {
  config: Readonly<Config>;
  users: UsersStore;
  userData: UserDataStore;
  /** Core-wide data besides the users: mail-template overrides (admin routes). */
  mailTemplates: MailTemplatesStore;
  engine: { name: string; schemaVersion(): Promise<number> };
  rqlite: RqliteClient;
  attachmentsDir: string;
  progress: Progress;
  homecoreVersion: string;
}

export interface BackupOptions {
  /** Parent directory of the backup directories. */
  dir: string;
  /** Only this username (`--user`); null = every user of the core. */
  user: string | null;
  passphrase: string | null;
  compress: boolean;
  attachments: 'link' | 'copy';
  now?: Date;
}

/** Users backed up at once: each is one snapshot transaction on a connection of its own (the data tools' pool has 6). */
const PARALLEL_USERS = 3;

/** Secrets and CA material, only into encrypted backups: `{varDir}/<dir>` → `secrets/<dir>/…`. */
const SECRET_DIRS = ['secrets', 'cluster', 'cluster-ca'];

/**
 * bin/backup (issue #12, docs/operations.md#backups): writes `<dir>/<core-id>_<yyyy-mm-dd-hhmm>` as
 * `….partial`, verifies every file against the manifest, then renames it; never overwrites. User data
 * first (one snapshot per user, the core keeps serving), then the platform DB, so every user backed
 * up has its mapping in it.
 */
export async function writeBackup(deps: BackupDeps, o: BackupOptions): Promise<{ path: string; manifest: Manifest }> {
  const { config, progress } = deps;
  const started = o.now ?? new Date();
  const final = join(o.dir, backupName(config.core.id, started, o.user));
  const partial = `${final}${PARTIAL_SUFFIX}`;
  if (existsSync(final) || existsSync(partial)) throw new BackupRefusedError(`${final} already exists: a backup never overwrites (wait a minute or move it)`);
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  await mkdir(partial, { mode: 0o700 });
  try {
    for (const sub of ['users', 'attachments', 'platform', 'config', 'core']) await mkdir(join(partial, sub));
    const kdf = o.passphrase === null ? null : newKdfParams();
    const codec: Codec = { gzip: o.compress, key: kdf === null ? null : await deriveKey(o.passphrase ?? '', kdf) };
    const t: BackupTarget = {
      dir: partial, codec, linkAttachments: o.attachments === 'link', files: {}, attachments: {}, missingFiles: 0, readBack: new Set(),
      sourceOf: (u, e, f) => join(deps.attachmentsDir, u, e, f),
    };
    progress.step('backup started', { path: final, encrypted: kdf !== null, compress: o.compress });

    let users = await deps.users.list();
    if (o.user !== null) {
      users = users.filter((u) => u.username === o.user);
      if (users.length === 0) throw new BackupRefusedError(`no user ${o.user} on this core`);
    }
    const entries: ManifestUser[] = [];
    const names: string[] = [];
    await forEachBounded(users, PARALLEL_USERS, async (u) => {
      const entry = await backupUser(t, deps.userData, u.id, (name) => userLabel(name, codec.key));
      if (entry !== null) {
        entries.push(entry);
        names.push(u.username);
      }
      progress.tick(entries.length, users.length, 'users');
    });
    if (t.missingFiles > 0) progress.warn('attached files deleted during the backup (their events went after the snapshot)', { count: t.missingFiles });
    progress.step('user data written', { users: entries.length, attachments: Object.keys(t.attachments).length });

    // After the user data: every user above has its mapping in what follows.
    const mappings = await readMappings(deps.rqlite, names);
    const sfx = `${o.compress ? '.gz' : ''}${codec.key === null ? '' : '.enc'}`;
    t.files[`platform/users.jsonl${sfx}`] = await writeEncoded(mappings.map((m) => `${JSON.stringify(m)}\n`), join(partial, `platform/users.jsonl${sfx}`), codec);
    if (o.user === null) {
      const sqlite = await platformBackup(deps.rqlite, 10 * 60_000);
      t.files[`platform/platform.sqlite${sfx}`] = await writeEncoded(sqlite, join(partial, `platform/platform.sqlite${sfx}`), codec);
    }
    progress.step('platform DB written', { mappings: mappings.length, wholeDb: o.user === null });

    if (o.user === null) {
      const templates = await deps.mailTemplates.list();
      const lines = await Promise.all(templates.map(async (k) => `${JSON.stringify({ kind: k.kind, language: k.language, part: k.part, source: await deps.mailTemplates.get(k) })}\n`));
      t.files[`core/mail-templates.jsonl${sfx}`] = await writeEncoded(lines, join(partial, `core/mail-templates.jsonl${sfx}`), codec);
    }
    const shownConfig = codec.key === null ? redactConfig(config) : config;
    t.files[`config/config.json${sfx}`] = await writeEncoded([JSON.stringify(shownConfig, null, 2)], join(partial, `config/config.json${sfx}`), codec);
    if (codec.key !== null && o.user === null) await copySecrets(t, config.paths.varDir);

    const totals: Record<string, number> = {};
    for (const e of entries) for (const [k, n] of Object.entries(e.counts)) totals[k] = (totals[k] ?? 0) + (n ?? 0);
    totals.users = entries.length;
    totals.attachmentFiles = Object.keys(t.attachments).length;
    const manifest = sealManifest({
      format: 'homecore-backup', formatVersion: FORMAT_VERSION, coreId: config.core.id, scope: o.user === null ? 'core' : 'user',
      startedAt: started.toISOString(), finishedAt: new Date().toISOString(),
      versions: {
        homecore: deps.homecoreVersion, node: process.version, engine: deps.engine.name,
        userSchema: await deps.engine.schemaVersion(), platformSchema: await platformSchemaVersion(deps.rqlite),
      },
      codec: { gzip: o.compress, encryption: kdf === null ? null : { cipher: 'aes-256-gcm', kdf } },
      totals, users: entries.sort((a, b) => a.id.localeCompare(b.id)), files: t.files, attachments: t.attachments,
    }, codec.key);
    await writeFile(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`, { flag: 'wx', mode: 0o600 });
    await verifyBackup(partial, o.passphrase, { allowPartialName: true, alreadyRead: t.readBack });
    await rename(partial, final);
    progress.step('backup complete', { path: final, ...totals });
    return { path: final, manifest };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

async function copySecrets(t: BackupTarget, varDir: string): Promise<void> {
  for (const d of SECRET_DIRS) {
    const root = join(varDir, d);
    if (!existsSync(root)) continue;
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    for (const e of entries.filter((x) => x.isFile())) {
      const rel = `secrets/${d}/${relative(root, join(e.parentPath, e.name))}.enc`;
      await mkdir(join(t.dir, rel, '..'), { recursive: true, mode: 0o700 });
      t.files[rel] = await writeEncoded(createReadStream(join(e.parentPath, e.name)), join(t.dir, rel), { gzip: false, key: t.codec.key });
    }
  }
}
