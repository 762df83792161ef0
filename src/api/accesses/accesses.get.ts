import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { nowSeconds } from '../context.js';
import { isCreatedBy, isExpired } from '../../domain/access-rules.js';
import { caller, refuseShared, toAccessDeletion, toApiAccess } from './shared.js';

/** Pryv API §3 `accesses.get`: P lists every access, A the ones it created, S nothing (403). */
export default defineMethod({
  id: 'accesses.get',
  auth: 'access',
  params: Type.Object(
    {
      includeExpired: Type.Boolean({ default: false }),
      includeDeletions: Type.Boolean({ default: false }),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const { user, access } = caller(ctx);
    refuseShared(access);
    const all = await ctx.services.stores.accesses.list(user.id, { includeDeletions: p.includeDeletions });
    const visible = access.type === 'personal' ? all : all.filter((a) => isCreatedBy(a, access.id));
    const now = nowSeconds();
    const live = visible.filter((a) => a.deleted === null && (p.includeExpired || !isExpired(a, now)));
    const accesses = live.map((a) => toApiAccess(ctx, user.username, a));
    if (!p.includeDeletions) return { accesses };
    const accessDeletions = visible.filter((a) => a.deleted !== null).map((a) => toAccessDeletion(ctx, a));
    return { accesses, accessDeletions };
  },
});
