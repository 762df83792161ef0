/** `--help` texts of bin/backup and bin/restore (docs/operations.md#backups). */
const CONFIG_SOURCES = `Configuration: config/default.yml, then the --config file (or env HOMECORE_CONFIG), then
HOMECORE_* env vars. Details: docs/config.md.`;

export const BACKUP_USAGE = `Usage: bin/backup [--config FILE] [--user USERNAME] [--dir DIR] [--passphrase-file FILE] [--compress]

Backs up this core while it keeps serving: every user's data (one consistent snapshot per user),
series, attachments (content-addressed, with SHA-256), the platform DB, the config, and the core's
secrets when encrypted. Writes DIR/<core-id>_<yyyy-mm-dd-hhmm>.partial, verifies every file against
the manifest, then renames it; never overwrites. Retention runs after a whole-core backup. One
JSON log line per step, or a progress bar on a terminal. Exit 0 done, 1 refused, 2 failed.

Options:
  -c, --config FILE          override file, merged over config/default.yml
  --user USERNAME            only this user (a portability request): <core-id>_<stamp>_<username>
  --dir DIR                  parent directory (default backup.dir, else {varDir}/backups)
  --passphrase-file FILE     encrypt with this passphrase (scrypt + AES-256-GCM; default backup.passphraseFile)
  --compress                 gzip the data files (default backup.compress)
  -h, --help                 this text

Keys that matter: backup.* (dir, schedule, compress, passphraseFile, attachments, keepLast,
keepDailyDays), storages.postgresql.*, attachments.dir.

${CONFIG_SOURCES}`;

export const RESTORE_USAGE = `Usage: bin/restore [--config FILE] [--user USERNAME] [--passphrase-file FILE] <backup-dir>

Verifies the backup first (manifest, every file's size and SHA-256, the MAC of an encrypted one) and
refuses a partial, altered or newer-schema backup with a one-line reason, writing nothing. Restores
into an empty core, or with --user one user absent from this core, points the restored users'
platform mapping at this core, then runs the integrity check.
Exit 0 restored and clean, 1 refused, 2 failed, 3 restored but the integrity check found problems.

Options:
  -c, --config FILE          override file, merged over config/default.yml
  --user USERNAME            only this user, into a core that does not have it
  --passphrase-file FILE     the passphrase of an encrypted backup (default backup.passphraseFile)
  -h, --help                 this text

${CONFIG_SOURCES}`;
