import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { checkIntegrity, problemCount } from '../backup/integrity.js';
import type { Progress } from '../backup/progress.js';
import { restoreBackup } from '../backup/restore-backup.js';
import { BackupRefusedError } from '../backup/verify.js';
import { openDataTools, readPassphrase } from './data-tools.js';

function cpuSeconds(): number {
  const cpu = process.cpuUsage();
  return Math.round((cpu.user + cpu.system) / 1e4) / 100;
}

export interface RestoreArgs {
  dir: string;
  user: string | null;
  passphraseFile: string | null;
}

/**
 * bin/restore: exit 0 restored and the integrity check is clean; 1 refused (one-line reason on
 * stderr, nothing written); 2 failed; 3 restored but the integrity check found problems.
 */
export async function runRestore(config: Readonly<Config>, logger: Logger, args: RestoreArgs, shown: Progress, refusal: (line: string) => void): Promise<number> {
  // Every step line says the CPU seconds used so far: where a restore's CPU goes, phase by phase (bench/backup).
  const progress: Progress = { ...shown, step: (msg, data) => shown.step(msg, { ...data, cpuSeconds: cpuSeconds() }) };
  const tools = await openDataTools(config, logger);
  try {
    const restored = await restoreBackup(
      { config, users: tools.stores.users, userData: tools.stores.userData, mailTemplates: tools.stores.mailTemplates, engine: tools.engine, rqlite: tools.rqlite, attachmentsDir: tools.attachmentsDir, progress },
      { dir: args.dir, user: args.user, passphrase: readPassphrase(args.passphraseFile ?? config.backup.passphraseFile) },
    );
    const report = await checkIntegrity(
      { coreId: config.core.id, users: tools.stores.users, userData: tools.stores.userData, rqlite: tools.rqlite, attachmentsDir: tools.attachmentsDir,
        knownHashes: restored.writtenHashes, imported: restored.imported },
      false,
    ).finally(() => restored.indexesBuilt);
    const problems = problemCount(report);
    progress.step('integrity check', { problems, users: report.users, events: report.checked, attachments: report.attachments.checked });
    for (const s of report.stored) progress.warn('stored data differs from the backup', s);
    if (problems > 0) progress.warn('integrity check found problems: run bin/integrity-check for the report');
    progress.step('done', { problems });
    return problems === 0 ? 0 : 3;
  } catch (err) {
    if (err instanceof BackupRefusedError) {
      refusal(`restore refused: ${err.message}`);
      return 1;
    }
    progress.warn(`restore failed: ${(err as Error).message}`);
    return 2;
  } finally {
    await tools.close();
  }
}
