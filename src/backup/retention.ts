import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { backupTime } from './manifest.js';

export interface RetentionRule {
  /** The newest N backups stay; 0 = rule off. */
  keepLast: number;
  /** The newest backup of each of the last D days (UTC, today included) stays; 0 = rule off. */
  keepDailyDays: number;
}

const DAY_MS = 86_400_000;

/**
 * Which of `names` (complete whole-core backups of one core) the rule drops. Both rules off keeps
 * everything; a backup kept by either rule stays.
 */
export function prunable(names: string[], rule: RetentionRule, now: Date): string[] {
  if (rule.keepLast === 0 && rule.keepDailyDays === 0) return [];
  const dated = names
    .map((name) => ({ name, at: backupTime(name) }))
    .filter((b): b is { name: string; at: Date } => b.at !== null)
    .sort((a, b) => b.at.getTime() - a.at.getTime() || b.name.localeCompare(a.name));
  const keep = new Set(dated.slice(0, rule.keepLast).map((b) => b.name));
  const today = Math.floor(now.getTime() / DAY_MS);
  const seenDays = new Set<number>();
  for (const b of dated) {
    const day = Math.floor(b.at.getTime() / DAY_MS);
    if (today - day >= rule.keepDailyDays || day > today || seenDays.has(day)) continue;
    seenDays.add(day);
    keep.add(b.name);
  }
  return dated.filter((b) => !keep.has(b.name)).map((b) => b.name);
}

/** Applies the rule to the whole-core backups of `coreId` in `dir` (per-user and `.partial` ones are left alone). */
export async function applyRetention(dir: string, coreId: string, rule: RetentionRule, now = new Date()): Promise<string[]> {
  const pattern = new RegExp(`^${coreId.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}_\\d{4}-\\d{2}-\\d{2}-\\d{4}$`);
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && pattern.test(e.name)).map((e) => e.name);
  const drop = prunable(names, rule, now);
  for (const name of drop) await rm(join(dir, name), { recursive: true, force: true });
  return drop;
}
