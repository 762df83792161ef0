import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { Progress } from '../backup/progress.js';
import { applyRetention } from '../backup/retention.js';
import { BackupRefusedError } from '../backup/verify.js';
import { writeBackup } from '../backup/write-backup.js';
import { markBackupDone } from '../metrics/backup-stamp.js';
import { backupsDirOf, homecoreVersion, openDataTools, readPassphrase } from './data-tools.js';

export interface BackupArgs {
  user: string | null;
  /** Overrides backup.dir. */
  dir: string | null;
  /** Overrides backup.passphraseFile. */
  passphraseFile: string | null;
  /** Overrides backup.compress. */
  compress: boolean | null;
}

/** bin/backup: exit 0 written and verified, 1 refused (one-line reason), 2 failed. */
export async function runBackup(config: Readonly<Config>, logger: Logger, args: BackupArgs, progress: Progress): Promise<number> {
  const tools = await openDataTools(config, logger);
  try {
    const dir = args.dir ?? backupsDirOf(config);
    const { path } = await writeBackup(
      {
        config, users: tools.stores.users, userData: tools.stores.userData, mailTemplates: tools.stores.mailTemplates, engine: tools.engine, rqlite: tools.rqlite,
        attachmentsDir: tools.attachmentsDir, progress, homecoreVersion: homecoreVersion(),
      },
      {
        dir, user: args.user, passphrase: readPassphrase(args.passphraseFile ?? config.backup.passphraseFile),
        compress: args.compress ?? config.backup.compress, attachments: config.backup.attachments,
      },
    );
    if (args.user === null) {
      // homecore_backup_age_seconds (docs/operations.md#metrics) counts from this whole-core backup.
      markBackupDone(config);
      const removed = await applyRetention(dir, config.core.id, config.backup);
      progress.step('retention applied', { removed, keepLast: config.backup.keepLast, keepDailyDays: config.backup.keepDailyDays });
    }
    const cpu = process.cpuUsage();
    progress.step('done', { path, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100 });
    return 0;
  } catch (err) {
    if (err instanceof BackupRefusedError) {
      progress.warn(`backup refused: ${err.message}`);
      return 1;
    }
    progress.warn(`backup failed: ${(err as Error).message}`);
    return 2;
  } finally {
    await tools.close();
  }
}
