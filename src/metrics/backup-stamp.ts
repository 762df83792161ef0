import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/index.js';

/** `metrics.backupStampFile`, null = `{varDir}/backups/last-success`; relative = under varDir. */
export function backupStampPath(config: Readonly<Config>): string {
  const f = config.metrics.backupStampFile;
  if (f === null) return join(config.paths.varDir, 'backups', 'last-success');
  return isAbsolute(f) ? f : resolve(config.paths.varDir, f);
}

/**
 * Records that a backup completed at `at` (ms): the backup helper calls this once its run is
 * verified and renamed (issue #12). The master's `homecore_backup_age_seconds` is read from it.
 * Written to a temporary file then renamed, so a reader never sees half a number.
 */
export function markBackupDone(config: Readonly<Config>, at: number = Date.now()): void {
  const path = backupStampPath(config);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${Math.floor(at / 1000)}\n`);
  renameSync(tmp, path);
}

/** Unix time in seconds of the last successful backup, or null when none was recorded. */
export function lastBackupAt(config: Readonly<Config>): number | null {
  try {
    const v = Number(readFileSync(backupStampPath(config), 'utf8').trim());
    return Number.isFinite(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}
