import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { ProfileChanges, appProfileId, profileCaller } from './profile-sets.js';

export default defineMethod({
  id: 'profile.updateApp',
  auth: 'access',
  params: Type.Object({ update: ProfileChanges }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user, access } = profileCaller(ctx);
    return { profile: await ctx.services.stores.profile.update(user.id, appProfileId(access), p.update) };
  },
});
