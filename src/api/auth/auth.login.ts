import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors, type ApiError } from '../../errors/index.js';
import { hashPassword, needsRehash, verifyPassword } from '../../auth/crypto.js';
import { isTrustedApp, parseTrustedApps } from '../../auth/trusted-apps.js';
import { apiEndpoint, ownUrls } from '../endpoints.js';
import { openSession } from './sessions.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';
import { mfaLoginStep } from '../../mfa/login-step.js';

const invalidCredentials = (): ApiError =>
  // The SDK's callers match on this message (Pryv API §3.6).
  errors.invalidCredentials('The given username/password pair is invalid.');

export default defineMethod({
  id: 'auth.login',
  auth: 'public',
  notInBatch: true,
  params: Type.Object({
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    appId: Type.Optional(Type.String()),
  }),
  async handler(ctx, p) {
    const user = ctx.user;
    if (user === null) throw errors.notFound('Unknown user');
    if (p.username === undefined || p.password === undefined || p.appId === undefined) {
      throw errors.invalidOperation('username, password and appId are required.');
    }
    if (p.username.toLowerCase() !== user.username) {
      throw errors.invalidOperation('The username does not match the user of this endpoint.');
    }
    const rules = parseTrustedApps(ctx.services.config.auth.trustedApps, ownUrls(ctx.services.config));
    if (!isTrustedApp(rules, p.appId, ctx.origin ?? ctx.referer)) {
      throw errors.invalidCredentials(`The app "${p.appId}" is not trusted from this origin.`);
    }
    // Counted before scrypt runs, so parallel guesses count one by one (issue #16).
    const attempt = await reserveAttempts(ctx.services, [
      { name: 'loginPerAddress', id: ctx.clientAddress },
      { name: 'loginPerUsername', id: user.username },
    ]);
    if (!(await verifyPassword(p.password, user.passwordHash))) throw invalidCredentials();
    await attempt.succeeded();
    if (needsRehash(user.passwordHash)) {
      // A hash from before today's scrypt parameters: upgraded now that the password is known.
      await ctx.services.stores.users.update(user.id, { passwordHash: await hashPassword(p.password) });
    }
    const mfa = await mfaLoginStep(ctx.services, user, p.appId);
    if (mfa !== null) return mfa;
    const session = await openSession(ctx.services, user, p.appId);
    return {
      token: session.token,
      apiEndpoint: apiEndpoint(ctx.services.config, user.username, session.token),
      preferredLanguage: user.language,
    };
  },
});
