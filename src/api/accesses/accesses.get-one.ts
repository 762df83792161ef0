import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { canSeeAccess } from '../../domain/access-rules.js';
import { caller, refuseShared, toApiAccess } from './shared.js';

/**
 * Pryv API §3 `accesses.getOne`: P any live access; A itself or the accesses it created; anything
 * else answers 404 so that an app cannot probe for ids. Accesses are not versioned here (see
 * accesses.update), so `history` is always empty.
 */
export default defineMethod({
  id: 'accesses.getOne',
  auth: 'access',
  params: Type.Object(
    { id: Type.String({ minLength: 1 }), includeHistory: Type.Boolean({ default: false }) },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const { user, access } = caller(ctx);
    refuseShared(access);
    const found = await ctx.services.stores.accesses.getById(user.id, p.id);
    if (found === null || found.deleted !== null || !canSeeAccess(access, found)) throw errors.unknownResource('access', p.id);
    const result = toApiAccess(ctx, user.username, found);
    return p.includeHistory ? { access: result, history: [] } : { access: result };
  },
});
