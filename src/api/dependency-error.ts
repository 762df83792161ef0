import { errors, type ApiError } from '../errors/index.js';
import { PlatformDbError } from '../platform/errors.js';
import { StorageUnavailableError, WriteOutcomeUnknownError } from '../storage/interfaces/errors.js';

/**
 * A dependency outage (user-data database unreachable or shutting down, platform DB without a leader or
 * timing out) as the API error clients should see: 503 api-unavailable, worth a retry — never a 500.
 * Bad statements and constraint violations are not outages and stay unexpected errors. The engines
 * raise their own "unavailable" errors (StorageUnavailableError, each in its engine directory), so nothing here
 * knows a driver's error shapes.
 */
export function dependencyError(err: unknown): ApiError | null {
  if (err instanceof WriteOutcomeUnknownError) return errors.writeOutcomeUnknown(err);
  if (err instanceof StorageUnavailableError) {
    return errors.unavailable('The user-data store is unavailable; retry later.', { cause: err });
  }
  if (err instanceof PlatformDbError && err.retriable) {
    return errors.unavailable('The platform database is unavailable; retry later.', { cause: err });
  }
  return null;
}
