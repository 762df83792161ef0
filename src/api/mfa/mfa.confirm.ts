import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { mfaErrors } from '../../errors/index.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { totpStep } from '../../mfa/totp.js';
import { checkCode, closeMfaSession, currentMfaSession, newRecoveryCodes, recoveryCodeHash } from '../../mfa/mfa-state.js';

/** Ends an activation with the first code (reference: "Confirm MFA activation"); gives the recovery codes. */
export default defineMethod({
  id: 'mfa.confirm',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({ code: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: Type.String({ maxLength: 1000 }), maxProperties: 20 }),
  async handler(ctx, p) {
    const { services } = ctx;
    const { token, session } = await currentMfaSession(ctx, ['activate']);
    if (p.code === undefined || p.code === '') throw mfaErrors.missingParameter('code');
    const attempt = await reserveAttempts(services, [{ name: 'mfaPerUsername', id: ctx.user?.username }]);
    if (!(await checkCode(services, token, session, p.code))) throw mfaErrors.invalidCode('code');
    if (!(await closeMfaSession(services, token))) throw mfaErrors.invalidSession();
    await attempt.succeeded();
    const recoveryCodes = newRecoveryCodes(services.config.mfa.recoveryCodes);
    const data: Record<string, string> = session.method === 'totp' ? { secretSealed: session.totpSecretSealed ?? '' } : (session.params ?? {});
    await services.stores.mfa.activate(session.userId, {
      method: session.method,
      data,
      recoveryCodeHashes: recoveryCodes.map((c) => recoveryCodeHash(services, session.userId, c)),
      activatedAt: Date.now() / 1000,
    });
    // The confirming TOTP code is spent too: it cannot serve again at the next login.
    const step = session.method === 'totp' ? totpStep(services.config, services.vault.decrypt(data['secretSealed'] ?? ''), p.code) : null;
    if (step !== null) await services.stores.mfa.useTotpStep(session.userId, step);
    return { recoveryCodes };
  },
});
