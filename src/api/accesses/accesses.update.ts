import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { authorOf, nowSeconds } from '../context.js';
import { errors } from '../../errors/index.js';
import { accessUpdateRefusal } from '../../domain/access-rules.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import { loadScope } from '../stream-scope.js';
import { caller, refuseShared, storedAccessIntegrity, toApiAccess, toVersionDoc } from './shared.js';
import type { StoredAccess } from '../../storage/interfaces/accesses-store.js';
import { AccessUpdateSchema, nameTaken, refuseNameClash, refuseOrphaning, resolvePatch } from './update-rules.js';
import { lookupAccess, requireCurrentVersion, staleResource } from './versions.js';
import { checkAccountPermissions } from './account-permissions.js';
import { PROTECTED_ACCESS_FIELDS, withoutProtectedFields } from '../protected-fields.js';

/**
 * Pryv API §3.4 `accesses.update` (v2, phase 2). `id` must name the current version (the bare id
 * only while never updated) else 409 stale-resource. Each update keeps the replaced version in the
 * history and bumps the serial in one compare-and-set write, so of two updates from the same
 * version exactly one wins. The token is unchanged; the result carries the new `<id>:<serial>`.
 * Emits `accessesChanged` and `accessUpdated` (with the new composite id and serial, Pryv API §6).
 */
export default defineMethod({
  id: 'accesses.update',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }), update: AccessUpdateSchema }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, access } = caller(ctx);
    const update = withoutProtectedFields(ctx, p.id, p.update, PROTECTED_ACCESS_FIELDS);
    refuseShared(access);
    const found = await lookupAccess(ctx, user.id, p.id);
    const target = found.current;
    const refusal = accessUpdateRefusal(access, target);
    if (refusal !== null) throw errors.forbidden(`Your access token has insufficient permissions to update this access. ${refusal}`);
    requireCurrentVersion(p.id, found);
    const { logic, tree } = await loadScope(ctx);
    const now = nowSeconds();
    const patch = resolvePatch(logic, target, update, now, authorOf(ctx));
    if (patch.permissions !== undefined) checkAccountPermissions(ctx.services, access, patch.permissions);
    await refuseOrphaning(ctx, user.id, target, patch, tree, now);
    await refuseNameClash(ctx, user.id, target, patch);
    const { accesses } = ctx.services.stores;
    // The integrity of the version about to be written (its serial, its tracking fields).
    const next: StoredAccess = { ...target, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), serial: target.serial + 1 };
    patch.integrity = storedAccessIntegrity(ctx.services.config, next, ctx.services.vault.decrypt(target.tokenSealed));
    const updated = await accesses.updateVersioned(user.id, target.id, target.serial, patch, { doc: toVersionDoc(target), replaced: now }).catch((err: unknown) => {
      // Lost a race with a concurrent rename: the unique index is the real guard.
      if (err instanceof DuplicateKeyError) {
        throw nameTaken(target.type, patch.name ?? target.name, patch.deviceName === undefined ? target.deviceName : patch.deviceName);
      }
      throw err;
    });
    if (updated === null) {
      // Lost the compare-and-set: updated or deleted meanwhile.
      const latest = await accesses.getById(user.id, target.id);
      if (latest === null || latest.deleted !== null) throw errors.unknownResource('access', p.id);
      throw staleResource(p.id, latest.serial);
    }
    ctx.services.notifier.emit(user.username, 'accessesChanged');
    const result = toApiAccess(ctx, user.username, updated);
    ctx.services.notifier.emit(user.username, 'accessUpdated', { type: 'access-updated', accessId: result.id, serial: updated.serial });
    return { access: result };
  },
});
