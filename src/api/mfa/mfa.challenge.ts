import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { currentMfaSession, sendChallenge } from '../../mfa/mfa-state.js';

/** Sends the challenge again, or at login (reference: "Trigger MFA challenge"); a no-op for TOTP. */
export default defineMethod({
  id: 'mfa.challenge',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({}, { additionalProperties: false }),
  async handler(ctx) {
    const { token, session } = await currentMfaSession(ctx, ['activate', 'login']);
    await sendChallenge(ctx.services, token, session);
    return { message: 'Please verify the MFA challenge.', method: session.method };
  },
});
