import { ApiError, type ApiErrorOptions } from './api-error.js';
import type { ErrorId } from './ids.js';

/** A factory for an id whose message is the caller's (data, status override and cause in `options`). */
function byId(id: ErrorId): (message: string, options?: ApiErrorOptions) => ApiError {
  return (message, options) => new ApiError(id, message, options);
}

/**
 * Factories, the one way API code makes errors (issue #9): every place raising the same condition
 * says it the same way, and every id is registered in ids.ts with its status (docs/errors.md).
 */
export const errors = {
  forbidden: byId('forbidden'),
  invalidAccessToken: byId('invalid-access-token'),
  invalidCredentials: byId('invalid-credentials'),
  invalidEventType: byId('invalid-event-type'),
  invalidItemId: byId('invalid-item-id'),
  invalidMethod: byId('invalid-method'),
  invalidOperation: byId('invalid-operation'),
  invitationTokenInvalid: byId('invitationToken-invalid'),
  itemAlreadyExists: byId('item-already-exists'),
  missingHeader: byId('missing-header'),
  removedMethod: byId('removed-method'),
  staleResource: byId('stale-resource'),
  tooManyResults: byId('too-many-results'),
  unknownReferencedResource: byId('unknown-referenced-resource'),
  wrongCore: byId('wrong-core'),
  /** Register-service routes' 400 (access requests). */
  invalidParameters: byId('invalid-parameters'),
  unknownAccessKey(key: string): ApiError {
    return new ApiError('unknown-access-key', `Unknown or expired access key "${key}".`);
  },
  /** Register-service discovery: no such username (the SDK's userExists() reads the id). */
  unknownUser(username: string): ApiError {
    return new ApiError('unknown-user', `Unknown user "${username}"`);
  },
  unknownEmail(): ApiError {
    return new ApiError('unknown-email', 'Unknown email');
  },
  unknownRoute(method: string, url: string): ApiError {
    return new ApiError('unknown-resource', `Unknown route: ${method} ${url.split('?')[0] ?? ''}`);
  },
  unknownResource(kind: string, id?: string): ApiError {
    return new ApiError('unknown-resource', `Unknown ${kind}${id === undefined ? '' : ` "${id}"`}`, {
      data: id === undefined ? undefined : { id },
    });
  },
  invalidParametersFormat(message: string, data: unknown): ApiError {
    return new ApiError('invalid-parameters-format', message, { data });
  },
  invalidRequestStructure(message: string, options?: ApiErrorOptions): ApiError {
    return new ApiError('invalid-request-structure', message, options);
  },
  unsupportedContentType(type: string): ApiError {
    return new ApiError('unsupported-content-type', `Unsupported content type: ${type}`);
  },
  tooLarge(limit: number): ApiError {
    return new ApiError('invalid-request-structure', `Request body larger than ${limit} bytes`, {
      httpStatus: 413,
      data: { limit },
    });
  },
  uriTooLong(limit: number): ApiError {
    return new ApiError('invalid-request-structure', `Request URL longer than ${limit} bytes`, { httpStatus: 414, data: { limit } });
  },
  fileTooLarge(limit: number): ApiError {
    return new ApiError('invalid-request-structure', `Attached file larger than ${limit} bytes`, { httpStatus: 413, data: { limit } });
  },
  corruptedData(message: string, data?: unknown, cause?: unknown): ApiError {
    return new ApiError('corrupted-data', message, { data, cause });
  },
  apiUnavailable(what: string, cause?: unknown): ApiError {
    return new ApiError('api-unavailable', `${what} is unavailable`, { cause });
  },
  /** A write cut while committing (issue #13): applied or not, unknown; never success. */
  writeOutcomeUnknown(cause: unknown): ApiError {
    return new ApiError(
      'write-outcome-unknown',
      'The database connection was lost while this write was committing: it may or may not have been applied. Read the item back before retrying.',
      { cause, data: { retriable: true } },
    );
  },
  /** The audit trail cannot take the call's line (audit.onFailure: closed). */
  auditUnavailable: byId('audit-unavailable'),
  /** api-unavailable with the whole message given (dependency outages, placement). */
  unavailable: byId('api-unavailable'),
  /** unknown-resource with the whole message given. */
  notFound: byId('unknown-resource'),
  missingToken(): ApiError {
    return new ApiError('invalid-access-token', 'Missing access token.', { httpStatus: 401 });
  },
  /** 429 with `Retry-After` (the error handler sets it from `data.retryAfter`). */
  tooManyAttempts(retryAfterSeconds: number): ApiError {
    return new ApiError('too-many-attempts', `Too many attempts: retry in ${retryAfterSeconds} s.`, { data: { retryAfter: retryAfterSeconds } });
  },
  unexpected(cause?: unknown): ApiError {
    return new ApiError('unexpected-error', 'An unexpected error occurred', { cause });
  },
};
