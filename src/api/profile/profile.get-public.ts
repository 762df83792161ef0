import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { profileCaller } from './profile-sets.js';

export default defineMethod({
  id: 'profile.getPublic',
  auth: 'access',
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const { user } = profileCaller(ctx);
    return { profile: await ctx.services.stores.profile.get(user.id, 'public') };
  },
});
