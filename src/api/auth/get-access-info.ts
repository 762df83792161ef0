import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { apiEndpoint } from '../endpoints.js';

export default defineMethod({
  id: 'getAccessInfo',
  auth: 'access',
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const { user, access } = ctx;
    if (user === null || access === null) throw errors.invalidAccessToken('Missing access token.', { httpStatus: 401 });
    const { deleted: _d, ...fields } = access;
    void _d;
    return {
      ...fields,
      apiEndpoint: apiEndpoint(ctx.services.config, user.username, access.token),
      user: { username: user.username },
    };
  },
});
