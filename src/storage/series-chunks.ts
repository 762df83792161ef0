/**
 * Series chunk text, shared by the engines (docs/architecture.md#high-frequency-series): points are
 * kept in disjoint chunks of up to CHUNK_POINTS rows, each stored as the JSON text of its rows.
 */

/** Target points per chunk: a 1000-point write is one document; edge chunks of a range read stay cheap to filter. */
export const CHUNK_POINTS = 1000;

export interface Chunk {
  tMin: number;
  tMax: number;
  rows: string[];
}

/** Splits ascending rows into chunks of at most `max` points, of even sizes. */
export function toChunks(deltaTimes: number[], rows: string[], max = CHUNK_POINTS): Chunk[] {
  const parts = Math.max(1, Math.ceil(rows.length / max));
  const size = Math.ceil(rows.length / parts);
  const out: Chunk[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const end = Math.min(i + size, rows.length);
    out.push({ tMin: deltaTimes[i] ?? 0, tMax: deltaTimes[end - 1] ?? 0, rows: rows.slice(i, end) });
  }
  return out;
}

/**
 * The rows of stored chunk text with from ≤ deltaTime < to, as a slice of that text: a scan for the
 * top-level `[…]` rows (minding strings and nested values) reading only each row's first number, ~10×
 * cheaper than parsing and re-serialising the chunk. Rows are ascending, so the scan stops past `to`.
 */
export function sliceRows(text: string, from: number, to: number): string {
  let depth = 0;
  let inString = false;
  let start = -1;
  let first = -1;
  let last = -1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b) {
      if (depth === 0) start = i;
      depth += 1;
    } else if (c === 0x5d) {
      depth -= 1;
      if (depth !== 0) continue;
      let j = start + 1;
      while (j < i && text.charCodeAt(j) !== 0x2c) j += 1;
      const dt = Number(text.slice(start + 1, j));
      if (dt >= to) break;
      if (dt >= from) {
        if (first === -1) first = start;
        last = i + 1;
      }
    }
  }
  return first === -1 ? '' : text.slice(first, last);
}

/** Ascending merge; on equal deltaTimes the incoming row replaces the stored one. */
export function mergeRows(stored: [number, string][], incoming: [number, string][]): [number, string][] {
  const out: [number, string][] = [];
  let i = 0;
  let j = 0;
  while (i < stored.length || j < incoming.length) {
    const a = stored[i];
    const b = incoming[j];
    if (b === undefined || (a !== undefined && a[0] < b[0])) {
      out.push(a as [number, string]);
      i += 1;
    } else {
      if (a !== undefined && a[0] === b[0]) i += 1;
      out.push(b);
      j += 1;
    }
  }
  return out;
}
