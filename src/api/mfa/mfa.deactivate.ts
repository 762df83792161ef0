import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors, mfaErrors } from '../../errors/index.js';
import { assertMfaEnabled, deactivateMfa } from '../../mfa/mfa-state.js';

/** Turns MFA off with a personal token (reference: "Deactivate MFA"). */
export default defineMethod({
  id: 'mfa.deactivate',
  auth: 'personal',
  notInBatch: true,
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const user = ctx.user;
    if (user === null) throw errors.notFound('Unknown user');
    assertMfaEnabled(ctx.services);
    if (!(await deactivateMfa(ctx.services, user))) throw mfaErrors.notActive();
    return { message: 'MFA deactivated.' };
  },
});
