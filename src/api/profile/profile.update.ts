import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { ProfileChanges, ProfileId, profileCaller } from './profile-sets.js';

/**
 * Reference form `{id, update}`; `id` defaults to `private` so that `PUT /profile/private` and the
 * docs alias `profile.updatePrivate` (`{update}`) land here. `null` values delete keys.
 */
export default defineMethod({
  id: 'profile.update',
  auth: 'personal',
  params: Type.Object({ id: Type.Optional(ProfileId), update: ProfileChanges }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user } = profileCaller(ctx);
    return { profile: await ctx.services.stores.profile.update(user.id, p.id ?? 'private', p.update) };
  },
});
