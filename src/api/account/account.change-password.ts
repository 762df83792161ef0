import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { hashPassword, verifyPassword } from '../../auth/crypto.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { checkNewPassword, paramProblem, pathUser } from './account-rules.js';

/**
 * Sessions are kept: the caller proves the old password with a live session, as in the reference
 * server. (account.resetPassword, for a forgotten or stolen password, ends them.)
 */
export default defineMethod({
  id: 'account.changePassword',
  auth: 'personal',
  notInBatch: true,
  params: Type.Object(
    { oldPassword: Type.Optional(Type.String()), newPassword: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const user = pathUser(ctx);
    if (p.oldPassword === undefined) throw paramProblem('missing-required-field', 'oldPassword', 'oldPassword is required.');
    const newPassword = checkNewPassword(ctx.services, p.newPassword);
    // A stolen session must not become a password oracle: the login's per-username limit applies.
    const attempt = await reserveAttempts(ctx.services, [{ name: 'loginPerUsername', id: user.username }]);
    if (!(await verifyPassword(p.oldPassword, user.passwordHash))) {
      throw errors.invalidOperation('The given password does not match.');
    }
    await attempt.succeeded();
    await ctx.services.stores.users.update(user.id, { passwordHash: await hashPassword(newPassword), modified: Date.now() / 1000 });
    return {};
  },
});
