import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { authorOf, nowSeconds } from '../context.js';
import { errors, type ApiError } from '../../errors/index.js';
import { newId, newToken } from '../../auth/crypto.js';
import { appCreationRefusal, inheritPermissions, toStoredPermission } from '../../domain/access-rules.js';
import type { Access } from '../../domain/types.js';
import type { StoredAccess } from '../../storage/interfaces/accesses-store.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import { loadScope } from '../stream-scope.js';
import { checkToken, resolveExpiry } from './create-rules.js';
import { ensurePermissionStreams } from './ensure-streams.js';
import { caller, ClientDataSchema, RequestedPermissionsSchema, refuseShared, storedAccessIntegrity, toApiAccess } from './shared.js';
import { checkAccountPermissions } from './account-permissions.js';

const forbidden = (message: string): ApiError => errors.forbidden(message);

/** Pryv API §3.4 `accesses.create`. Tokens are stored only as lookup hash + sealed copy. */
export default defineMethod({
  id: 'accesses.create',
  auth: 'access',
  successStatus: 201,
  params: Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      type: Type.Union([Type.Literal('personal'), Type.Literal('app'), Type.Literal('shared')], { default: 'shared' }),
      permissions: RequestedPermissionsSchema,
      token: Type.Optional(Type.String({ minLength: 1 })),
      deviceName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      expireAfter: Type.Optional(Type.Number({ minimum: 0 })),
      clientData: Type.Optional(ClientDataSchema),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    refuseShared(caller(ctx).access);
    if (p.type === 'personal') throw forbidden('Personal accesses are created automatically on login.');
    const { user, access, logic, tree } = await loadScope(ctx);
    const permissions = inheritPermissions(logic, p.permissions.map(toStoredPermission));
    checkAccountPermissions(ctx.services, access, permissions);
    const refusal = logic.isPersonal ? null : appCreationRefusal(logic, { type: p.type, permissions });
    if (refusal !== null) {
      throw errors.forbidden(`Your access token has insufficient permissions to create this new access. ${refusal.message}`, refusal.data === undefined ? {} : { data: refusal.data });
    }
    const now = nowSeconds();
    const token = p.token === undefined ? newToken() : checkToken(p.token);
    const tokenHash = ctx.services.vault.lookupHash(token);
    const expires = resolveExpiry(access, p.expireAfter, now);
    const deviceName = p.type === 'app' ? (p.deviceName ?? null) : null;
    const { accesses } = ctx.services.stores;
    const nameTaken = errors.itemAlreadyExists('An access with this type, name and device name already exists.', {
      data: { type: p.type, name: p.name, deviceName },
    });
    const tokenTaken = errors.itemAlreadyExists('An access with this token already exists.', { data: { token: '(hidden)' } });
    // Checked before any stream is created so that a refused call leaves nothing behind.
    if ((await accesses.findByName(user.id, p.type, p.name, deviceName)) !== null) throw nameTaken;
    for (const hash of ctx.services.vault.lookupHashes(token)) if ((await accesses.findByTokenHash(user.id, hash)) !== null) throw tokenTaken;
    if (logic.isPersonal && (await ensurePermissionStreams(ctx, user, tree, p.permissions))) {
      ctx.services.notifier.emit(user.username, 'streamsChanged');
    }
    const author = authorOf(ctx);
    const created: Omit<Access, 'token'> = {
      id: newId(), type: p.type, name: p.name, deviceName, permissions, expires, lastUsed: null, calls: {},
      clientData: p.clientData ?? null, created: now, createdBy: author, modified: now, modifiedBy: author, deleted: null,
    };
    const unsigned: StoredAccess = { ...created, tokenHash, tokenSealed: ctx.services.vault.encrypt(token), serial: 0 };
    const integrity = storedAccessIntegrity(ctx.services.config, unsigned, token);
    const stored: StoredAccess = integrity === null ? unsigned : { ...unsigned, integrity };
    try {
      await accesses.create(user.id, stored);
    } catch (err) {
      // Lost a race with a concurrent create: the unique indexes are the real guard.
      if (err instanceof DuplicateKeyError && err.key === 'token') throw tokenTaken;
      if (err instanceof DuplicateKeyError && err.key === 'name') throw nameTaken;
      throw err;
    }
    ctx.services.notifier.emit(user.username, 'accessesChanged');
    return { access: toApiAccess(ctx, user.username, stored) };
  },
});

