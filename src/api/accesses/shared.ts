import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import type { Access, User } from '../../domain/types.js';
import type { AccessVersionDoc, StoredAccess } from '../../storage/interfaces/accesses-store.js';
import { apiAccessId } from '../../domain/access-ids.js';
import type { RequestContext } from '../context.js';
import { apiEndpoint } from '../endpoints.js';
import { accessIntegrity } from '../../domain/integrity.js';
import type { Config } from '../../config/index.js';

/** Shared pieces of the accesses.* methods: param schemas, the API form of an access, caller checks. */

export const LevelSchema = Type.Union(
  [Type.Literal('read'), Type.Literal('contribute'), Type.Literal('manage'), Type.Literal('create-only'), Type.Literal('none')],
  { description: 'Pryv API §2.5 levels; anything else → 400 invalid-parameters-format.' },
);

export const FeaturePermissionSchema = Type.Object(
  { feature: Type.String({ minLength: 1 }), setting: Type.Union([Type.Literal('allowed'), Type.Literal('forbidden')]) },
  { additionalProperties: false },
);

/** A stream permission as sent to create/checkApp: `defaultName`/`name` serve app authorization only. */
export const RequestedStreamPermissionSchema = Type.Object(
  {
    streamId: Type.String({ minLength: 1 }),
    level: LevelSchema,
    defaultName: Type.Optional(Type.String({ minLength: 1 })),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RequestedPermissionsSchema = Type.Array(Type.Union([RequestedStreamPermissionSchema, FeaturePermissionSchema]));

/** Permissions as stored and as accesses.update takes them (no stream creation on update). */
export const PermissionsSchema = Type.Array(
  Type.Union([
    Type.Object({ streamId: Type.String({ minLength: 1 }), level: LevelSchema }, { additionalProperties: false }),
    FeaturePermissionSchema,
  ]),
);

export const ClientDataSchema = Type.Record(Type.String(), Type.Unknown());

/** The caller of a method that needs a token (the registry already refused calls without one). */
export function caller(ctx: RequestContext): { user: User; access: Access } {
  if (ctx.user === null || ctx.access === null) throw errors.missingToken();
  return { user: ctx.user, access: ctx.access };
}

/** accesses.get/getOne/create/update are refused to shared accesses (reference `AccessLogic.can`). */
export function refuseShared(access: Access): void {
  if (access.type === 'shared') throw errors.forbidden('You cannot access this resource using a shared access token.');
}


export type ApiAccess = Omit<Access, 'calls' | 'deleted'> & { apiEndpoint: string; integrity?: string };

/** The fields of the version an access is at, as the API shows them, minus token and usage counters. */
export function toVersionDoc(stored: StoredAccess): AccessVersionDoc {
  const { tokenHash: _h, tokenSealed: _t, calls: _c, deleted: _d, serial, ...rest } = stored;
  void _h;
  void _t;
  void _c;
  void _d;
  return { ...rest, id: apiAccessId(stored.id, serial) };
}

/**
 * An access as the accesses.* methods return it: its API id (src/domain/access-ids.ts), the token
 * unsealed (it is encrypted at rest so that this listing can show it), `apiEndpoint` added; usage
 * counters and `deleted` left out. A past version (`doc`) is shown with the token of `stored`: an
 * update never changes the token.
 */
export function toApiAccess(ctx: RequestContext, username: string, stored: StoredAccess, doc: AccessVersionDoc = toVersionDoc(stored)): ApiAccess {
  const token = ctx.services.vault.decrypt(stored.tokenSealed);
  const { integrity: _i, ...rest } = doc;
  void _i;
  // The stored integrity; accesses written while `integrity.accesses` was off get one computed the same way.
  const shown = ctx.services.config.integrity.accesses ? { ...rest, token, integrity: doc.integrity ?? accessIntegrity({ ...rest, token }, ctx.services.config.integrity.algorithm) } : { ...rest, token };
  return { ...shown, apiEndpoint: apiEndpoint(ctx.services.config, username, token) };
}

/**
 * The `integrity` to store with an access (config `integrity.accesses`; null when off): over the
 * access as the API shows it, before `apiEndpoint` is added, `lastUsed` left out of the hash.
 * bin/integrity-check recomputes it the same way.
 */
export function storedAccessIntegrity(config: Pick<Config, 'integrity'>, stored: StoredAccess, token: string): string | null {
  if (!config.integrity.accesses) return null;
  return accessIntegrity({ ...toVersionDoc(stored), token }, config.integrity.algorithm);
}

/** An entry of `accessDeletions`: the stored fields with `deleted`, no usage counters. */
export function toAccessDeletion(ctx: RequestContext, stored: StoredAccess): Omit<Access, 'calls'> {
  // Without `integrity`: it covers the access as it was shown, not this deletion form.
  const { integrity: _i, ...doc } = toVersionDoc(stored);
  void _i;
  return { ...doc, deleted: stored.deleted, token: ctx.services.vault.decrypt(stored.tokenSealed) };
}
