import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { assertSameUser, pathUser } from './account-rules.js';
import { consumeEmailVerification } from '../../mail/email-verification.js';

/**
 * The target of an email-verification link (homecore's own method; the reference has none): the
 * page at `mail.emailVerificationUrl` posts the link's token here.
 */
export default defineMethod({
  id: 'account.verifyEmail',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), username: Type.Optional(Type.String()) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const user = pathUser(ctx);
    assertSameUser(user, p.username);
    const email = await consumeEmailVerification(ctx.services, user.id, p.token);
    if (email === null) throw errors.invalidAccessToken('The verification token is invalid, expired or already used.');
    if (email.toLowerCase() !== user.email.toLowerCase()) {
      throw errors.invalidOperation('The account email changed since this link was sent: use the link of the newest mail.');
    }
    await ctx.services.stores.emailVerifications.markVerified(user.id, user.email, Date.now() / 1000);
    return { email: user.email, emailVerified: true };
  },
});
