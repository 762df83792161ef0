/**
 * Stable error ids and their HTTP status (Pryv API §1.4). Clients match on the id, never on the message.
 * docs/errors.md lists the same table for app developers.
 */
export const ERROR_STATUS = {
  'invalid-request-structure': 400,
  'invalid-parameters-format': 400,
  'invalid-item-id': 400,
  'invalid-event-type': 400,
  'invalid-operation': 400,
  'invitationToken-invalid': 400,
  'unknown-referenced-resource': 400,
  'missing-header': 400,
  /** Register-service routes (access requests): ids the reference register sends (Pryv API §4.4). */
  'invalid-parameters': 400,
  'unknown-access-key': 400,
  // mfa.* (the reference's ids): a parameter missing, or a code that is wrong or expired.
  'missing-parameter': 400,
  'invalid-parameter': 400,
  'invalid-credentials': 401,
  'invalid-access-token': 401,
  forbidden: 403,
  'unknown-resource': 404,
  'invalid-method': 404,
  /** Register-service discovery routes: the SDK's userExists() reads this id (Pryv API §4.3). */
  'unknown-user': 404,
  'unknown-email': 404,
  'item-already-exists': 409,
  'stale-resource': 409,
  'removed-method': 410,
  'too-many-results': 413,
  'unsupported-content-type': 415,
  'wrong-core': 421,
  'corrupted-data': 422,
  'too-many-attempts': 429,
  'unavailable-method': 451,
  'unexpected-error': 500,
  'api-unavailable': 503,
  // The database connection was lost while a write committed: applied or not, unknown (issue #13).
  'write-outcome-unknown': 503,
  /** The audit trail cannot be written and audit.onFailure refuses the call (issue #12). */
  'audit-unavailable': 503,
} as const;

export type ErrorId = keyof typeof ERROR_STATUS;
