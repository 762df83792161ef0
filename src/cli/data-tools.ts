import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createPlatformClient } from '../platform/platform-client.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { createEngine } from '../storage/engine-registry.js';
import type { StorageEngine } from '../storage/interfaces/storage-engine.js';
import type { Stores } from '../storage/interfaces/stores.js';
import { attachmentsDirOf } from '../storage/files/attachment-files.js';

/**
 * What bin/backup, bin/restore and bin/integrity-check work on: the core's user-data engine (through
 * the storage interfaces only, so any engine backs up and restores), its platform DB client and its
 * attachments dir. The engine comes from the registry (storages.engine).
 */
export interface DataTools {
  engine: StorageEngine;
  stores: Stores;
  rqlite: RqliteClient;
  attachmentsDir: string;
  close(): Promise<void>;
}

export async function openDataTools(config: Readonly<Config>, logger: Logger): Promise<DataTools> {
  // Three users at a time (backup, restore, integrity check), plus the two connections of a restore's
  // index builds, which run beside its integrity check: a check waiting longer than connectTimeoutMs
  // for a connection would fail the restore.
  const engine = await createEngine(config, logger, { poolSize: 6 });
  const rqlite = createPlatformClient(config, logger);
  return {
    engine,
    stores: engine.stores(),
    rqlite,
    attachmentsDir: attachmentsDirOf(config),
    async close() {
      await Promise.all([engine.close(), rqlite.close()]);
    },
  };
}

/** `backup.dir`, null = `{varDir}/backups`; a relative path is relative to varDir. */
export function backupsDirOf(config: Readonly<Config>): string {
  const dir = config.backup.dir;
  if (dir === null) return join(config.paths.varDir, 'backups');
  return isAbsolute(dir) ? dir : resolve(config.paths.varDir, dir);
}

/** A passphrase file's first line (never logged). */
export function readPassphrase(file: string | null): string | null {
  if (file === null) return null;
  const text = readFileSync(file, 'utf8').split('\n')[0]?.trim() ?? '';
  if (text.length < 8) throw new Error(`the passphrase in ${file} is shorter than 8 characters`);
  return text;
}

export { appVersion as homecoreVersion } from '../util/app-version.js';
