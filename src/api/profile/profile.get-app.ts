import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { appProfileId, profileCaller } from './profile-sets.js';

export default defineMethod({
  id: 'profile.getApp',
  auth: 'access',
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const { user, access } = profileCaller(ctx);
    return { profile: await ctx.services.stores.profile.get(user.id, appProfileId(access)) };
  },
});
