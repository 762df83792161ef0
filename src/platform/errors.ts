/**
 * rqlite failure shapes (../shared/notes/rqlite-and-ha.md §0–§1). rqlite reports many failures as
 * HTTP 200 with a top-level `error` and empty `results`; those are failures, never success or "not found".
 */
export class PlatformDbError extends Error {
  /** Safe to retry an idempotent call. */
  readonly retriable: boolean = false;
  /** A write may or may not have been applied. */
  readonly ambiguous: boolean = false;
  override name = 'PlatformDbError';
}

/** 503 / no leader / connection refused: nothing was applied; retry idempotent work with backoff. */
export class PlatformDbUnavailableError extends PlatformDbError {
  override readonly retriable = true;
  override name = 'PlatformDbUnavailableError';
}

/** 200 + top-level error (leadership lost while committing, timeouts): a write's outcome is unknown. */
export class PlatformDbAmbiguousError extends PlatformDbError {
  override readonly retriable = true;
  override readonly ambiguous = true;
  override name = 'PlatformDbAmbiguousError';
}

/** One statement failed (SQL error): nothing in its transaction was applied. */
export class PlatformDbStatementError extends PlatformDbError {
  override name = 'PlatformDbStatementError';
  constructor(
    message: string,
    readonly statementIndex: number,
  ) {
    super(message);
  }
}

/** A UNIQUE / PRIMARY KEY constraint failed: the value is taken. */
export class PlatformDbConstraintError extends PlatformDbStatementError {
  override name = 'PlatformDbConstraintError';
}

/** 400 / 401 / 403 / unexpected shapes: a bug or misconfiguration; never retried. */
export class PlatformDbFatalError extends PlatformDbError {
  override name = 'PlatformDbFatalError';
}
