import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors, mfaErrors } from '../../errors/index.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { checkCode, closeMfaSession, currentMfaSession } from '../../mfa/mfa-state.js';
import { openSession } from '../auth/sessions.js';
import { apiEndpoint } from '../endpoints.js';

/** The login's second step (reference: "Verify MFA challenge"): a right code opens the session. */
export default defineMethod({
  id: 'mfa.verify',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({ code: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: Type.String({ maxLength: 1000 }), maxProperties: 20 }),
  async handler(ctx, p) {
    const { services } = ctx;
    const user = ctx.user;
    if (user === null) throw errors.notFound('Unknown user');
    const { token, session } = await currentMfaSession(ctx, ['login']);
    if (p.code === undefined || p.code === '') throw mfaErrors.missingParameter('code');
    // Counted before the check, as logins are: parallel guesses count one by one (issue #16).
    const attempt = await reserveAttempts(services, [{ name: 'mfaPerUsername', id: user.username }]);
    if (!(await checkCode(services, token, session, p.code))) throw mfaErrors.invalidCode('code');
    if (!(await closeMfaSession(services, token))) throw mfaErrors.invalidSession();
    await attempt.succeeded();
    const access = await openSession(services, user, session.appId ?? 'mfa');
    return { token: access.token, apiEndpoint: apiEndpoint(services.config, user.username, access.token), preferredLanguage: user.language };
  },
});
