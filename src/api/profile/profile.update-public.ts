import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { ProfileChanges, profileCaller } from './profile-sets.js';

/**
 * Docs id for `PUT /profile/public` (`{update}`). A method of its own rather than an alias: an alias
 * of profile.update could not carry `id: public` (Pryv API §9 #14).
 */
export default defineMethod({
  id: 'profile.updatePublic',
  auth: 'personal',
  params: Type.Object({ update: ProfileChanges }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { user } = profileCaller(ctx);
    return { profile: await ctx.services.stores.profile.update(user.id, 'public', p.update) };
  },
});
