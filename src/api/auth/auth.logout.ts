import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';

export default defineMethod({
  id: 'auth.logout',
  auth: 'personal',
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const { user, access } = ctx;
    if (user === null || access === null) throw errors.invalidAccessToken('Missing access token.', { httpStatus: 401 });
    await ctx.services.stores.accesses.markDeleted(user.id, [access.id], Date.now() / 1000);
    ctx.services.notifier.emit(user.username, 'accessesChanged');
    return {};
  },
});
