import { ApiError } from './api-error.js';

/** The errors of the mfa.* methods (docs/api.md#multi-factor-authentication). */
export const mfaErrors = {
  disabled(): ApiError {
    return new ApiError('unavailable-method', 'Multi-factor authentication is not enabled on this platform.');
  },
  methodDisabled(method: string): ApiError {
    return new ApiError('unavailable-method', `The MFA method "${method}" is not enabled on this platform.`, { data: { method } });
  },
  /** The reference answers a bad mfaToken with 403 forbidden. */
  invalidSession(): ApiError {
    return new ApiError('forbidden', 'Invalid or expired MFA session token.');
  },
  missingParameter(param: string): ApiError {
    return new ApiError('missing-parameter', `Missing parameter: ${param}.`, { data: { param } });
  },
  invalidCode(param: string): ApiError {
    return new ApiError('invalid-parameter', `Invalid ${param}.`, { data: { param } });
  },
  /** 429 with Retry-After: the user's SMS sends are limited (attemptLimits.mfaSmsPerUser). */
  tooManySms(retryAfterSeconds: number): ApiError {
    return new ApiError('too-many-attempts', `Too many SMS codes sent for this user: retry in ${retryAfterSeconds} s.`, {
      data: { retryAfter: retryAfterSeconds, limit: 'mfaSmsPerUser' },
    });
  },
  alreadyActive(): ApiError {
    return new ApiError('invalid-operation', 'MFA is already active for this user: deactivate it first.');
  },
  notActive(): ApiError {
    return new ApiError('invalid-operation', 'MFA is not active for this user.');
  },
};
