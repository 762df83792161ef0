import { describe, expect, it } from 'vitest';
import { nextRunAt } from '../../../src/master/backup-schedule.js';

describe('nightly backup time (backup.schedule)', () => {
  it.each([
    ['02:30', '2026-12-02T01:00:00Z', '2026-12-02T02:30:00.000Z'],
    ['02:30', '2026-12-02T02:30:00Z', '2026-12-03T02:30:00.000Z'],
    ['02:30', '2026-12-02T23:59:00Z', '2026-12-03T02:30:00.000Z'],
    ['00:00', '2026-12-31T12:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['02:30:15', '2026-12-02T02:30:00Z', '2026-12-02T02:30:15.000Z'],
    ['02:30:15', '2026-12-02T02:30:15Z', '2026-12-03T02:30:15.000Z'],
  ])('%s after %s → %s (UTC)', (at, now, next) => {
    expect(nextRunAt(at, new Date(now)).toISOString()).toBe(next);
  });
});
