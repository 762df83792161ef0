import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors, mfaErrors } from '../../errors/index.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { verifyPassword } from '../../auth/crypto.js';
import { safeEqual } from '../../auth/crypto.js';
import { assertSameUser, assertTrustedApp } from '../account/account-rules.js';
import { assertMfaEnabled, deactivateMfa, recoveryCodeHashes } from '../../mfa/mfa-state.js';

/** Turns MFA off with the password and one recovery code (reference: "Recover MFA"), when the second factor is lost. */
export default defineMethod({
  id: 'mfa.recover',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({
    username: Type.String(),
    password: Type.String(),
    appId: Type.String({ minLength: 1 }),
    recoveryCode: Type.Optional(Type.String({ maxLength: 200 })),
  }),
  async handler(ctx, p) {
    const { services } = ctx;
    const user = ctx.user;
    if (user === null) throw errors.notFound('Unknown user');
    assertMfaEnabled(services);
    assertSameUser(user, p.username);
    assertTrustedApp(ctx, p.appId);
    if (p.recoveryCode === undefined || p.recoveryCode === '') throw mfaErrors.missingParameter('recoveryCode');
    // The password and the code are both guesses: both kinds of limits count before either is checked.
    const attempt = await reserveAttempts(services, [
      { name: 'loginPerAddress', id: ctx.clientAddress },
      { name: 'loginPerUsername', id: user.username },
      { name: 'mfaPerUsername', id: user.username },
    ]);
    if (!(await verifyPassword(p.password, user.passwordHash))) throw errors.invalidCredentials('The given username/password pair is invalid.');
    const record = await services.stores.mfa.get(user.id);
    if (record === null) throw mfaErrors.notActive();
    const hashes = recoveryCodeHashes(services, user.id, p.recoveryCode);
    if (!record.recoveryCodeHashes.some((h) => hashes.some((hash) => safeEqual(h, hash)))) throw mfaErrors.invalidCode('recoveryCode');
    await deactivateMfa(services, user);
    await attempt.succeeded();
    return { message: 'MFA deactivated.' };
  },
});
