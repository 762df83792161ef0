import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { canSeeAccess } from '../../domain/access-rules.js';
import { caller, refuseShared, toApiAccess, type ApiAccess } from './shared.js';
import { lookupAccess } from './versions.js';

/**
 * Pryv API §3 `accesses.getOne`: P any live access; A itself or the accesses it created; anything
 * else answers 404 so that an app cannot probe for ids. The bare id or the current composite id
 * gives the live version; an older `<id>:<serial>` gives that version as `access` and the live one
 * as `current`. `includeHistory` adds the past versions, newest first (§3.4 update).
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
    const { current, serial } = await lookupAccess(ctx, user.id, p.id);
    if (!canSeeAccess(access, current)) throw errors.unknownResource('access', p.id);
    const wantsPast = serial !== null && serial < current.serial;
    const history = wantsPast || p.includeHistory ? await ctx.services.stores.accesses.history(user.id, current.id) : [];
    const live = toApiAccess(ctx, user.username, current);
    let result: { access: ApiAccess; current?: ApiAccess } = { access: live };
    if (wantsPast) {
      const past = history.find((v) => v.serial === serial);
      if (past === undefined) throw errors.unknownResource('access', p.id);
      result = { access: toApiAccess(ctx, user.username, current, past.doc), current: live };
    }
    return p.includeHistory ? { ...result, history: history.map((v) => toApiAccess(ctx, user.username, current, v.doc)) } : result;
  },
});
