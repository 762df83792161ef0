import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors } from '../../errors/index.js';
import { hashPassword } from '../../auth/crypto.js';
import type { Services } from '../context.js';
import type { User } from '../../domain/types.js';
import { assertSameUser, assertTrustedApp, checkNewPassword, pathUser } from './account-rules.js';
import { consumeResetToken } from './password-reset.js';

/**
 * A reset is what users do when a password is forgotten or stolen, so every login session
 * (personal access) of the user ends with it: whoever held one must log in with the new password.
 * App and shared accesses are grants the user gave on purpose; they stay.
 */
async function endSessions(services: Services, user: User): Promise<void> {
  const personal = (await services.stores.accesses.list(user.id)).filter((a) => a.type === 'personal').map((a) => a.id);
  if (personal.length === 0) return;
  await services.stores.accesses.markDeleted(user.id, personal, Date.now() / 1000);
  services.notifier.emit(user.username, 'accessesChanged');
}

export default defineMethod({
  id: 'account.resetPassword',
  auth: 'public',
  notInBatch: true,
  params: Type.Object(
    {
      resetToken: Type.String({ minLength: 1 }),
      newPassword: Type.Optional(Type.String()),
      appId: Type.String({ minLength: 1 }),
      username: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const user = pathUser(ctx);
    assertSameUser(user, p.username);
    assertTrustedApp(ctx, p.appId);
    const newPassword = checkNewPassword(ctx.services, p.newPassword);
    if (!(await consumeResetToken(ctx.services, user.id, p.resetToken))) {
      // The reference server answers a bad reset token the same way (401 invalid-access-token).
      throw errors.invalidAccessToken('The reset token is invalid, expired or already used.');
    }
    await ctx.services.stores.users.update(user.id, { passwordHash: await hashPassword(newPassword), modified: Date.now() / 1000 });
    await endSessions(ctx.services, user);
    return {};
  },
});
