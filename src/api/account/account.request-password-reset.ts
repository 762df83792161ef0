import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { assertSameUser, assertTrustedApp, pathUser } from './account-rules.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { newResetToken, storeResetToken } from './password-reset.js';
import { resetPasswordLink } from '../../mail/links.js';

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
    // Queued: delivery (and its retries) never fails this request (docs/api.md#mail).
    services.mailer.send({
      kind: 'reset-password',
      to: user.email,
      language: user.language,
      vars: {
        username: user.username,
        email: user.email,
        appId: p.appId,
        resetToken,
        resetUrl: resetPasswordLink(services.config, { resetToken, username: user.username, appId: p.appId }),
        expires: new Date(expires * 1000).toISOString(),
        serviceName: services.config.service.name,
      },
    });
    return {};
  },
});
