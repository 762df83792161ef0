import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { nowSeconds } from '../context.js';
import { errors } from '../../errors/index.js';
import { canDeleteAccess, descendantsOf } from '../../domain/access-rules.js';
import { AccessLogic } from '../../domain/access-logic.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import { caller } from './shared.js';
import { currentApiId, lookupAccess, requireCurrentOrBare } from './versions.js';

/**
 * Pryv API §3.4 `accesses.delete`. Deleting an app or shared access also deletes the accesses it
 * created (`relatedDeletions`); a personal one does not cascade. No worker caches accesses: the
 * next request with a deleted token is refused everywhere (src/api/resolve-user.ts). The id
 * may be bare or the current `<id>:<serial>`; an older version's id is stale (409).
 */
export default defineMethod({
  id: 'accesses.delete',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, access } = caller(ctx);
    const { accesses } = ctx.services.stores;
    const found = await lookupAccess(ctx, user.id, p.id);
    const target = found.current;
    // Deletion rights depend on the access type and features only, not on streams.
    if (!canDeleteAccess(new AccessLogic(access, new StreamsTree([])), target)) {
      throw errors.forbidden('Your access token has insufficient permissions to delete this access.');
    }
    requireCurrentOrBare(p.id, found);
    const live = target.type === 'personal' ? [] : await accesses.list(user.id);
    const related = descendantsOf(target.id, live);
    // Their webhooks go with them, in the same transaction (Pryv API §3.4 delete). Webhooks first:
    // on an engine without transactions (docs/mongodb.md#guarantees) a failure in between leaves the
    // access live, and deleting it again finishes the job.
    const ids = [target.id, ...related];
    await ctx.services.stores.transaction(async (tx) => {
      await tx.webhooks.deleteForAccesses(user.id, ids);
      await tx.accesses.markDeleted(user.id, ids, nowSeconds());
    });
    ctx.services.notifier.emit(user.username, 'accessesChanged');
    const accessDeletion = { id: currentApiId(target) };
    const apiIds = new Map(live.map((a) => [a.id, currentApiId(a)]));
    return related.length === 0 ? { accessDeletion } : { accessDeletion, relatedDeletions: related.map((id) => ({ id: apiIds.get(id) ?? id })) };
  },
});
