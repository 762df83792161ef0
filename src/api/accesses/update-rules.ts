import { Type, type Static } from '@sinclair/typebox';
import { type ApiError, errors } from '../../errors/index.js';
import { AccessLogic } from '../../domain/access-logic.js';
import { appCreationRefusal, inheritPermissions, isCreatedBy, isExpired, orphanedChildren } from '../../domain/access-rules.js';
import type { StreamsTree } from '../../domain/streams-tree.js';
import type { AccessVersionPatch, StoredAccess } from '../../storage/interfaces/accesses-store.js';
import type { RequestContext } from '../context.js';
import { resolveExpiry } from './create-rules.js';
import { ClientDataSchema, PermissionsSchema } from './shared.js';
import { currentApiId } from './versions.js';
import { PROTECTED_ACCESS_FIELDS, protectedFieldsSchema } from '../protected-fields.js';

/**
 * The mutable fields of an access (Pryv API §3.4 update); any other key is refused by the schema
 * (400 invalid-parameters-format). `expires` only accepts null (removes the expiry); a new expiry
 * is given as `expireAfter` seconds from now.
 */
export const AccessUpdateSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    deviceName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    permissions: Type.Optional(PermissionsSchema),
    expireAfter: Type.Optional(Type.Number({ minimum: 0 })),
    expires: Type.Optional(Type.Null()),
    clientData: Type.Optional(Type.Union([ClientDataSchema, Type.Null()])),
    ...protectedFieldsSchema(PROTECTED_ACCESS_FIELDS),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type AccessUpdate = Static<typeof AccessUpdateSchema>;

function badParam(param: string, message: string): ApiError {
  return errors.invalidParametersFormat(message, [{ code: 'invalid', message, path: `#/update/${param}`, param }]);
}

/**
 * The patch to store for `update` of `target` by `caller`, checked with the rules of
 * accesses.create: an app grants nothing above its own levels or from a create-only grant, passes
 * down its `secretSharing: forbidden`, and its children expire no later than itself (removing a
 * child's expiry then gives it the app's, as create does when no expiry is asked).
 */
export function resolvePatch(caller: AccessLogic, target: StoredAccess, update: AccessUpdate, now: number, author: string): AccessVersionPatch {
  if (update.deviceName !== undefined && target.type !== 'app') throw badParam('deviceName', 'Only app accesses have a device name.');
  if (update.expireAfter !== undefined && update.expires !== undefined) {
    throw badParam('expires', 'Give either "expireAfter" or "expires: null", not both.');
  }
  const patch: AccessVersionPatch = { modified: now, modifiedBy: author };
  if (update.name !== undefined) patch.name = update.name;
  if (update.deviceName !== undefined) patch.deviceName = update.deviceName;
  if (update.clientData !== undefined) patch.clientData = update.clientData;
  if (update.permissions !== undefined) {
    const permissions = inheritPermissions(caller, update.permissions);
    const refusal = caller.isPersonal ? null : appCreationRefusal(caller, { type: target.type, permissions });
    if (refusal !== null) {
      throw errors.forbidden(`Your access token has insufficient permissions to update this access. ${refusal.message}`, refusal.data === undefined ? {} : { data: refusal.data });
    }
    patch.permissions = permissions;
  }
  if (update.expireAfter !== undefined || update.expires !== undefined) {
    patch.expires = resolveExpiry(caller.access, update.expireAfter, now);
  }
  return patch;
}

/**
 * An app narrowed (permissions or expiry) may not leave live children it could no longer create:
 * 400 invalid-operation listing them (§3.4 update), so that the user revokes or narrows them first.
 */
export async function refuseOrphaning(ctx: RequestContext, userId: string, target: StoredAccess, patch: AccessVersionPatch, tree: StreamsTree, now: number): Promise<void> {
  if (target.type !== 'app' || (patch.permissions === undefined && patch.expires === undefined)) return;
  const children = (await ctx.services.stores.accesses.list(userId)).filter((a) => isCreatedBy(a, target.id) && !isExpired(a, now));
  const narrowed = new AccessLogic({ ...target, permissions: patch.permissions ?? target.permissions, token: '' }, tree);
  const offending = orphanedChildren(narrowed, patch.expires === undefined ? target.expires : patch.expires, children);
  if (offending.length > 0) {
    const byId = new Map(children.map((c) => [c.id, currentApiId(c)]));
    throw errors.invalidOperation('This update would leave accesses created by this app with more than it grants: update or delete them first.', {
      data: { offendingChildren: offending.map((id) => byId.get(id) ?? id) },
    });
  }
}

/** 409 item-already-exists when another live access has the new type + name + device name. */
export async function refuseNameClash(ctx: RequestContext, userId: string, target: StoredAccess, patch: AccessVersionPatch): Promise<void> {
  if (patch.name === undefined && patch.deviceName === undefined) return;
  const name = patch.name ?? target.name;
  const deviceName = patch.deviceName === undefined ? target.deviceName : patch.deviceName;
  const other = await ctx.services.stores.accesses.findByName(userId, target.type, name, deviceName);
  if (other !== null && other.id !== target.id) throw nameTaken(target.type, name, deviceName);
}

export function nameTaken(type: StoredAccess['type'], name: string, deviceName: string | null): ApiError {
  return errors.itemAlreadyExists('An access with this type, name and device name already exists.', { data: { type, name, deviceName } });
}
