import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { nowSeconds } from '../context.js';
import { errors } from '../../errors/index.js';
import { accessMatchesRequest, checkPermissions, isExpired, toStoredPermission } from '../../domain/access-rules.js';
import { StreamsTree } from '../../domain/streams-tree.js';
import { caller, ClientDataSchema, RequestedPermissionsSchema, toApiAccess } from './shared.js';
import { systemStreamsOf } from '../../domain/system-streams.js';
import { checkAccountPermissions } from './account-permissions.js';

/**
 * Pryv API §3.4 `accesses.checkApp` (personal only): is there already an app access named
 * `requestingAppId` (+ device) granting exactly what the app asks? If not, the permissions as the
 * consent screen should show them.
 */
export default defineMethod({
  id: 'accesses.checkApp',
  auth: 'personal',
  params: Type.Object(
    {
      requestingAppId: Type.String({ minLength: 1 }),
      deviceName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      requestedPermissions: RequestedPermissionsSchema,
      clientData: Type.Optional(ClientDataSchema),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const { user } = caller(ctx);
    const missing = p.requestedPermissions.filter((r) => 'streamId' in r && r.streamId !== '*' && r.defaultName === undefined);
    if (missing.length > 0) {
      throw errors.invalidParametersFormat(
        `The permission for stream "${(missing[0] as { streamId: string }).streamId}" (and maybe others) is missing the required "defaultName".`,
        missing.map(() => ({ code: 'required', message: 'defaultName is required', path: '#/requestedPermissions', param: 'defaultName' })),
      );
    }
    const existing = await ctx.services.stores.accesses.findByName(user.id, 'app', p.requestingAppId, p.deviceName ?? null);
    const requested = p.requestedPermissions.map(toStoredPermission);
    checkAccountPermissions(ctx.services, caller(ctx).access, requested);
    if (existing !== null && !isExpired(existing, nowSeconds()) && accessMatchesRequest(existing, requested, p.clientData)) {
      return { matchingAccess: toApiAccess(ctx, user.username, existing) };
    }
    // Account streams answer with their field's name (the consent screen shows "Email", not an id).
    const accountStreams = systemStreamsOf(ctx.services.config).streams(user.created);
    const tree = new StreamsTree([...(await ctx.services.stores.streams.all(user.id)), ...accountStreams]);
    const { checked, adjusted } = checkPermissions(tree, p.requestedPermissions);
    return {
      ...(existing === null ? {} : { mismatchingAccess: toApiAccess(ctx, user.username, existing) }),
      checkedPermissions: checked,
      ...(adjusted
        ? {
            error: errors
              .itemAlreadyExists(
                'One or more requested streams have the same names as existing streams with different ids. ' +
                  'The "defaultName" of the streams concerned have been updated with valid alternative proposals.',
              )
              .toJSON(),
          }
        : {}),
    };
  },
});
