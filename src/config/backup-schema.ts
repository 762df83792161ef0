import { Type } from '@sinclair/typebox';

/** bin/backup and the master's nightly run (issue #12, docs/operations.md#backups). */
export const BackupSchema = Type.Object(
  {
    // Where backup directories go; null = {varDir}/backups. A relative path is relative to varDir.
    dir: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    // Daily run by the master at this UTC time ("HH:MM", or "HH:MM:SS"); null = no scheduled backup.
    schedule: Type.Union([Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$' }), Type.Null()]),
    // gzip the data files (attachments are kept as they are).
    compress: Type.Boolean(),
    // A file holding the passphrase: set = every file encrypted (scrypt + AES-256-GCM), and the
    // core's secrets included. null = plain files, no secrets.
    passphraseFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    // Attachments: hard-linked when the backup dir is on the same filesystem (else copied), or always copied.
    attachments: Type.Union([Type.Literal('link'), Type.Literal('copy')]),
    // Retention after each run: the newest `keepLast` backups, plus the newest of each of the last
    // `keepDailyDays` days; 0 disables a rule, both 0 = keep everything.
    keepLast: Type.Integer({ minimum: 0, maximum: 10_000 }),
    keepDailyDays: Type.Integer({ minimum: 0, maximum: 10_000 }),
  },
  { additionalProperties: false },
);
