import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { ProfileId, profileCaller } from './profile-sets.js';

/**
 * Reference id with `{id}`; `id` defaults to `private` so that the docs id `profile.getPrivate`
 * (an alias, no params) and `GET /profile/private` reach the same method (Pryv API §9 #14).
 */
export default defineMethod({
  id: 'profile.get',
  auth: 'personal',
  params: Type.Object({ id: Type.Optional(ProfileId) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user } = profileCaller(ctx);
    return { profile: await ctx.services.stores.profile.get(user.id, p.id ?? 'private') };
  },
});
