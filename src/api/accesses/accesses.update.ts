import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { ApiError } from '../../errors/index.js';
import { caller } from './shared.js';

/**
 * Pryv API §3.4 `accesses.update` (v2, phase 2) needs versioned accesses (a serial per access and a
 * history of past versions for composite `<id>:<serial>` ids and 409 stale-resource), which the
 * accesses store does not keep yet. Until it does, the method answers a clear 400 instead of
 * applying a partial version of the rules.
 */
export default defineMethod({
  id: 'accesses.update',
  auth: 'access',
  params: Type.Object(
    { id: Type.String({ minLength: 1 }), update: Type.Record(Type.String(), Type.Unknown()) },
    { additionalProperties: false },
  ),
  async handler(ctx) {
    caller(ctx);
    throw new ApiError('invalid-operation', 'accesses.update is not available on this server yet: delete the access and create a new one.', {
      data: { method: 'accesses.update' },
    });
  },
});
