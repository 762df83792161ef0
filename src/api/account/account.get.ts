import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { accountOf, pathUser } from './account-rules.js';

export default defineMethod({
  id: 'account.get',
  auth: 'personal',
  notInBatch: true,
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    return { account: await accountOf(ctx.services, pathUser(ctx)) };
  },
});
