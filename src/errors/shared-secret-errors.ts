import { ApiError } from './api-error.js';

/**
 * The errors of the sharedSecrets.* methods (docs/api.md#shared-secrets). As in the reference, the
 * top-level id is the standard one and the feature's own id rides in `data.id`.
 */
export const sharedSecretErrors = {
  disabled(): ApiError {
    return new ApiError('unavailable-method', 'Shared secrets are disabled on this platform.');
  },
  /** The uniform refusal: malformed key, unknown item, wrong random half, or not the caller's item. */
  unknownKey(): ApiError {
    return new ApiError('unknown-resource', 'Unknown shared secret');
  },
  /** Consumed, expired, discarded, or a proof missing or wrong: the creator's message and returnUrl. */
  unavailable(onConsumed: { message: string; returnUrl?: string }): ApiError {
    return new ApiError('forbidden', onConsumed.message, { data: { id: 'shared-secret-unavailable', ...(onConsumed.returnUrl === undefined ? {} : { returnUrl: onConsumed.returnUrl }) } });
  },
  forbidden(): ApiError {
    return new ApiError('forbidden', 'This access may not create shared secrets.', { data: { id: 'shared-secret-forbidden' } });
  },
  invalid(id: string, message: string): ApiError {
    return new ApiError('invalid-parameters-format', message, { data: { id } });
  },
};
