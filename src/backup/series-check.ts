import type { UserDataRecord } from '../storage/interfaces/user-data-store.js';

/** The last deltaTime seen per series while its pieces stream by, in order. */
export type SeriesState = number;

/**
 * One piece of a series (UserDataStore `series` record) against the pieces before it: its rows parse,
 * ascend strictly, match its `first`/`last`/`count`, and start after the previous piece's last
 * point (pieces in order, never overlapping). Null when sound, else the problem.
 */
export function checkSeriesPiece(state: Map<string, SeriesState>, r: Extract<UserDataRecord, { kind: 'series' }>): string | null {
  let rows: unknown;
  try {
    rows = JSON.parse(`[${r.points}]`);
  } catch {
    return `piece at ${r.first}: points are not valid JSON`;
  }
  if (!Array.isArray(rows) || rows.length !== r.count) return `piece at ${r.first}: ${Array.isArray(rows) ? rows.length : 0} points, ${r.count} recorded`;
  let prev = state.get(r.eventId) ?? -Infinity;
  if (r.first <= prev) return `piece at ${r.first} overlaps or precedes the one before (last ${prev})`;
  for (const row of rows as unknown[]) {
    const dt = Array.isArray(row) ? row[0] : undefined;
    if (typeof dt !== 'number') return `piece at ${r.first}: a point without a numeric deltaTime`;
    if (dt <= prev) return `piece at ${r.first}: deltaTime ${dt} after ${prev} (not ascending)`;
    prev = dt;
  }
  const firstRow = (rows as unknown[][])[0]?.[0];
  if (firstRow !== r.first || prev !== r.last) return `piece at ${r.first}: bounds ${r.first}–${r.last} do not match its points`;
  state.set(r.eventId, prev);
  return null;
}
