export { ApiError } from './api-error.js';
export { errors } from './factory.js';
export { ERROR_STATUS, type ErrorId } from './ids.js';
export { mfaErrors } from './mfa-errors.js';
export { sharedSecretErrors } from './shared-secret-errors.js';
