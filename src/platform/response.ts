import {
  PlatformDbAmbiguousError,
  PlatformDbConstraintError,
  PlatformDbFatalError,
  PlatformDbStatementError,
  PlatformDbUnavailableError,
} from './errors.js';

export type SqlValue = string | number | boolean | null;
export type Statement = string | [string, ...SqlValue[]];

export interface WriteResult {
  last_insert_id?: number;
  rows_affected?: number;
}
export type Row = Record<string, SqlValue>;
export interface QueryResult {
  rows: Row[];
}

interface RawResult {
  error?: string;
  rows?: Row[];
  last_insert_id?: number;
  rows_affected?: number;
}

const NO_LEADER = /leader not found|not leader|leadership lost|no leader/i;
// Only uniqueness means "the value is taken" (registration maps it to item-already-exists). SQLite
// reports PRIMARY KEY violations as "UNIQUE constraint failed" too; FOREIGN KEY / NOT NULL / CHECK
// failures are bugs or missing rows, so they stay plain statement errors.
const CONSTRAINT = /UNIQUE constraint failed|PRIMARY KEY must be unique/i;

/**
 * Turns one rqlite HTTP answer into results or a typed error. Pure, so every documented failure
 * shape is unit-tested without a server.
 */
export function interpretResponse(status: number, body: unknown, kind: 'read' | 'write'): RawResult[] {
  if (status === 503) throw new PlatformDbUnavailableError(`rqlite unavailable (503): ${bodyText(body)}`);
  if (status === 408) throw new PlatformDbAmbiguousError(`rqlite timed out (408): ${bodyText(body)}`);
  if (status !== 200) {
    if (status >= 500) {
      const err = kind === 'read' ? PlatformDbUnavailableError : PlatformDbAmbiguousError;
      throw new err(`rqlite HTTP ${status}: ${bodyText(body)}`);
    }
    throw new PlatformDbFatalError(`rqlite HTTP ${status}: ${bodyText(body)}`);
  }
  if (typeof body !== 'object' || body === null) throw new PlatformDbFatalError('rqlite: answer is not JSON');
  const top = body as { error?: unknown; results?: unknown };
  if (typeof top.error === 'string' && top.error !== '') {
    // Writes: the log entry may still commit (e.g. "leadership lost while committing log").
    if (kind === 'read' || (NO_LEADER.test(top.error) && !/committing/i.test(top.error))) {
      throw new PlatformDbUnavailableError(`rqlite: ${top.error}`);
    }
    throw new PlatformDbAmbiguousError(`rqlite: ${top.error}`);
  }
  if (!Array.isArray(top.results)) throw new PlatformDbFatalError('rqlite: answer has no results');
  const results = top.results as RawResult[];
  results.forEach((r, i) => {
    if (typeof r?.error === 'string') {
      if (NO_LEADER.test(r.error)) throw new PlatformDbUnavailableError(`rqlite: ${r.error}`);
      const Err = CONSTRAINT.test(r.error) ? PlatformDbConstraintError : PlatformDbStatementError;
      throw new Err(`rqlite statement ${i}: ${r.error}`, i);
    }
  });
  return results;
}

function bodyText(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return (text ?? '').slice(0, 200);
}
