/** Small typed errors engines throw; API methods map them to ApiError. */
export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
  constructor(readonly key: string) {
    super(`duplicate ${key}`);
  }
}

/** The engine cannot reach its database (connection refused or lost, server shutting down): a 503, not a bug. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(cause: unknown) {
    super(`storage unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A write names a parent item that no longer exists (e.g. series points for a deleted holder event). */
export class MissingReferenceError extends Error {
  override name = 'MissingReferenceError';
  constructor(readonly key: string) {
    super(`missing referenced ${key}`);
  }
}

/** The stored holder no longer has the facts a series call was checked with (SeriesStore.checksHolders); nothing was done. */
export class StaleHolderError extends Error {
  override name = 'StaleHolderError';
  constructor(readonly eventId: string) {
    super(`series holder ${eventId} changed`);
  }
}

/** A read would answer more items than the caller allows (`limit`); nothing was sent. */
export class TooManyItemsError extends Error {
  override name = 'TooManyItemsError';
  constructor(readonly limit: number, readonly count: number) {
    super(`${count} items, more than ${limit}`);
  }
}

/**
 * The connection was lost while a write was committing (issue #13): it may or may not have been
 * applied. Never reported as success and never retried by the engine; the API answers 503
 * write-outcome-unknown so the client reads back before writing again.
 */
export class WriteOutcomeUnknownError extends StorageUnavailableError {
  override name = 'WriteOutcomeUnknownError';
}
