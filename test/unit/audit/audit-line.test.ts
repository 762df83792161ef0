import { describe, expect, it } from 'vitest';
import { newAuditId, utcDay } from '../../../src/audit/audit-line.js';

/** The per-line helpers the trail calls on every API call (drawn from a pool and a cache: docs/benchmarks.md#audit-trail). */

describe('newAuditId', () => {
  it('gives 16-character base64url ids, all different, across refills of its random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newAuditId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('utcDay', () => {
  const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  it.each([
    ['the last ms of a day', Date.UTC(2026, 11, 1, 23, 59, 59, 999)],
    ['the first ms of the next', Date.UTC(2026, 11, 2, 0, 0, 0, 0)],
    ['back to the day before (a late line)', Date.UTC(2026, 11, 1, 12)],
    ['a leap day', Date.UTC(2028, 1, 29, 6)],
    ['before 1970', Date.UTC(1969, 11, 31, 23, 0)],
    ['the epoch', 0],
  ])('is the UTC day of %s, whatever day was asked before', (_label, ms) => {
    expect(utcDay(ms)).toBe(iso(ms));
    expect(utcDay(ms + 1)).toBe(iso(ms + 1));
    expect(utcDay(ms - 1)).toBe(iso(ms - 1));
  });

  it('keeps throwing on a time that is not one', () => {
    expect(() => utcDay(Number.NaN)).toThrow(RangeError);
  });
});
