import { describe, expect, it } from 'vitest';
import { prunable } from '../../../src/backup/retention.js';
import { backupName, backupTime } from '../../../src/backup/manifest.js';

const at = (iso: string): string => backupName('core-a', new Date(iso), null);
const now = new Date('2026-12-10T12:00:00Z');
// Two a day for ten days (Dec 1–10), at 01:00 and 13:00 (the one of Dec 10 13:00 not yet taken).
const names = Array.from({ length: 10 }, (_, d) => [`2026-12-${String(d + 1).padStart(2, '0')}T01:00:00Z`, `2026-12-${String(d + 1).padStart(2, '0')}T13:00:00Z`])
  .flat()
  .filter((iso) => new Date(iso) <= now)
  .map(at);

describe('backup names', () => {
  it('are <core-id>_<yyyy-mm-dd-hhmm> in UTC, and read back', () => {
    expect(backupName('core-a', new Date('2026-03-04T05:06:59Z'), null)).toBe('core-a_2026-03-04-0506');
    expect(backupName('core-a', new Date('2026-03-04T05:06:00Z'), 'alice')).toBe('core-a_2026-03-04-0506_alice');
    expect(backupTime('core-a_2026-03-04-0506')?.toISOString()).toBe('2026-03-04T05:06:00.000Z');
    expect(backupTime('core-a_2026-03-04-0506.partial')).toBeNull();
  });
});

describe('retention', () => {
  it('keeps everything when both rules are off', () => {
    expect(prunable(names, { keepLast: 0, keepDailyDays: 0 }, now)).toEqual([]);
  });

  it('keep-last N keeps the newest N', () => {
    const dropped = prunable(names, { keepLast: 3, keepDailyDays: 0 }, now);
    expect(dropped).toHaveLength(names.length - 3);
    expect(dropped).not.toContain(at('2026-12-10T01:00:00Z'));
    expect(dropped).not.toContain(at('2026-12-09T01:00:00Z'));
    expect(dropped).toContain(at('2026-12-08T13:00:00Z'));
  });

  it('keep-daily D keeps the newest of each of the last D days (today included)', () => {
    const kept = names.filter((n) => !prunable(names, { keepLast: 0, keepDailyDays: 3 }, now).includes(n));
    expect(kept).toEqual([at('2026-12-08T13:00:00Z'), at('2026-12-09T13:00:00Z'), at('2026-12-10T01:00:00Z')]);
  });

  it('a backup kept by either rule stays', () => {
    const kept = names.filter((n) => !prunable(names, { keepLast: 2, keepDailyDays: 2 }, now).includes(n));
    expect(kept).toEqual([at('2026-12-09T13:00:00Z'), at('2026-12-10T01:00:00Z')]);
    const more = names.filter((n) => !prunable(names, { keepLast: 3, keepDailyDays: 2 }, now).includes(n));
    expect(more).toEqual([at('2026-12-09T01:00:00Z'), at('2026-12-09T13:00:00Z'), at('2026-12-10T01:00:00Z')]);
  });
});
