import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors, mfaErrors } from '../../errors/index.js';
import { assertMfaEnabled, openMfaSession, sendChallenge } from '../../mfa/mfa-state.js';
import { newTotpSecret } from '../../mfa/totp.js';

/**
 * Starts an activation (reference: "Activate MFA"). Every parameter but `method` is the user's SMS
 * provider data (phone number, message, …), substituted into the provider calls.
 */
export default defineMethod({
  id: 'mfa.activate',
  auth: 'personal',
  notInBatch: true,
  params: Type.Object(
    { method: Type.Optional(Type.Union([Type.Literal('totp'), Type.Literal('sms')])) },
    { additionalProperties: Type.String({ maxLength: 1000 }), maxProperties: 20 },
  ),
  async handler(ctx, p) {
    const { services } = ctx;
    const user = ctx.user;
    if (user === null) throw errors.notFound('Unknown user');
    const method = p.method ?? services.config.mfa.defaultMethod;
    assertMfaEnabled(services, method);
    if ((await services.stores.mfa.get(user.id)) !== null) throw mfaErrors.alreadyActive();
    if (method === 'totp') {
      const { secret, otpauthUri } = newTotpSecret(services.config, user.username);
      const { token } = await openMfaSession(services, { kind: 'activate', userId: user.id, method, totpSecretSealed: services.vault.encrypt(secret) });
      return { mfaToken: token, method, secret, otpauthUri };
    }
    const { method: _m, ...params } = p as Record<string, string>;
    void _m;
    if (Object.keys(params).length === 0) throw mfaErrors.missingParameter('the SMS provider parameters (e.g. phone number)');
    const { token, session } = await openMfaSession(services, { kind: 'activate', userId: user.id, method, params });
    await sendChallenge(services, token, session);
    return { mfaToken: token, method };
  },
});
