import { ApiError } from './api-error.js';

/** Factories so every place raising the same condition says it the same way. */
export const errors = {
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
  invalidRequestStructure(message: string): ApiError {
    return new ApiError('invalid-request-structure', message);
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
