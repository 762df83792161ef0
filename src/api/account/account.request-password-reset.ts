import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { assertSameUser, assertTrustedApp, pathUser } from './account-rules.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { discardResetToken, newResetToken, storeResetToken } from './password-reset.js';

export default defineMethod({
  id: 'account.requestPasswordReset',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({ appId: Type.String({ minLength: 1 }), username: Type.Optional(Type.String()) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const user = pathUser(ctx);
    assertSameUser(user, p.username);
    assertTrustedApp(ctx, p.appId);
    const { services } = ctx;
    await reserveAttempts(services, [{ name: 'passwordResetPerAddress', id: ctx.clientAddress }]);
    const resetToken = newResetToken();
    const expires = await storeResetToken(services, user.id, resetToken);
    try {
      await services.mailer.send({ username: user.username, email: user.email, language: user.language, appId: p.appId, resetToken, expires });
    } catch (err) {
      await discardResetToken(services, user.id, resetToken);
      // Only the error's class name: a transport's message may quote the mail body, token included.
      services.logger.error({ errName: err instanceof Error ? err.name : typeof err, username: user.username }, 'password-reset mail not sent');
      throw errors.apiUnavailable('Mail delivery');
    }
    return {};
  },
});
