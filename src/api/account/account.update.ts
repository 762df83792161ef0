import { Type } from '@sinclair/typebox';
import { defineMethod } from '../method.js';
import { errors, type ApiError } from '../../errors/index.js';
import { UniqueFieldTakenError } from '../../platform/platform-db.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import type { Services } from '../context.js';
import { EMAIL } from '../users/registration-params.js';
import { accountOf, paramProblem, pathUser } from './account-rules.js';
import { sendEmailVerificationMail } from '../../mail/email-verification.js';
import { recordUserFieldChange } from './account-fields.js';
import { authorOf } from '../context.js';

const emailTaken = (): ApiError => errors.itemAlreadyExists('That email is already taken.', { data: { email: '(taken)' } });

/** Reserves the new email platform-wide (unique across cores) before the local write. */
async function reserveEmail(services: Services, username: string, email: string): Promise<void> {
  try {
    await services.platform.changeUniqueField(username, 'email', email.toLowerCase());
  } catch (err) {
    if (err instanceof UniqueFieldTakenError) throw emailTaken();
    throw err;
  }
}

export default defineMethod({
  id: 'account.update',
  auth: 'personal',
  notInBatch: true,
  // HTTP: `PUT /account` with the changes as body → `{update}` (the reference's batch form). The
  // top level stays open because the `update` route source also passes an (absent) `id`.
  params: Type.Object({
    update: Type.Object({ email: Type.Optional(Type.String()), language: Type.Optional(Type.String()) }, { additionalProperties: false }),
  }),
  async handler(ctx, { update }) {
    const user = pathUser(ctx);
    const { services } = ctx;
    if (update.email !== undefined && !EMAIL.test(update.email)) throw paramProblem('email-invalid', 'email', 'email is not a valid email address.');
    if (update.language !== undefined && (update.language.length < 1 || update.language.length > 5)) {
      throw paramProblem('language-invalid', 'language', 'language must be 1–5 characters.');
    }
    const emailChanges = update.email !== undefined && update.email.toLowerCase() !== user.email.toLowerCase();
    if (emailChanges) await reserveEmail(services, user.username, update.email ?? '');
    const patch = { ...update, modified: Date.now() / 1000 };
    try {
      await services.stores.users.update(user.id, patch);
    } catch (err) {
      // Give the platform-wide reservation back so the old email stays the user's.
      if (emailChanges) {
        await services.platform.changeUniqueField(user.username, 'email', user.email.toLowerCase()).catch((e: Error) => {
          services.logger.error({ err: e.message, username: user.username }, 'could not restore the platform email after a failed account update');
        });
      }
      if (err instanceof DuplicateKeyError) throw emailTaken();
      throw err;
    }
    // A new address is verified again (queued mail; nothing when the platform does not verify).
    if (emailChanges) await sendEmailVerificationMail(services, { ...user, ...patch });
    const changed = (['email', 'language'] as const).filter((k) => update[k] !== undefined && update[k] !== user[k]);
    await recordUserFieldChange(services, user, changed, authorOf(ctx));
    return { account: await accountOf(services, { ...user, ...patch }) };
  },
});
