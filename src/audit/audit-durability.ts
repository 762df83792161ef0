import type { Config } from '../config/index.js';

/**
 * How far a successful write's audit line has gone when the write answers (`audit.durability`,
 * docs/operations.md#reading-the-audit-trail):
 * - `fsync`: on disk (an `O_DSYNC` write);
 * - `write`: in the file, through the operating system (survives the crash of any homecore process;
 *   made durable by the background fdatasync every `audit.syncIntervalMs`);
 * - `buffer`: in the worker's memory, like a read's line (appended within `audit.flushIntervalMs`).
 */
export type AuditDurability = 'fsync' | 'write' | 'buffer';

/** `audit.durability`, or what the deprecated `audit.syncWrites` says when an operator still sets it. */
export function auditDurabilityOf(audit: Readonly<Config['audit']>): AuditDurability {
  if (audit.syncWrites === true) return 'fsync';
  if (audit.syncWrites === false) return 'buffer';
  return audit.durability;
}
