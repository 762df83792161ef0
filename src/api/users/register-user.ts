import { ApiError } from '../../errors/index.js';
import { hashPassword, newId } from '../../auth/crypto.js';
import { UniqueFieldTakenError } from '../../platform/platform-db.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import type { User } from '../../domain/types.js';
import type { Services } from '../context.js';
import { apiEndpoint } from '../endpoints.js';
import { openSession } from '../auth/sessions.js';
import { isReservedUsername, type RegistrationParams } from './registration-params.js';
import { invitationAccepted } from '../../domain/invitations.js';

function taken(field: string): ApiError {
  return new ApiError('item-already-exists', `That ${field} is already taken.`, { data: { [field]: '(taken)' } });
}

/**
 * Creates a user on this core: the username and email are reserved platform-wide and mapped to this
 * core in one rqlite transaction first (a constraint failure = taken), then the user row is written;
 * if that fails the platform entries are released again.
 */
export async function registerUser(
  services: Services,
  p: RegistrationParams,
  options: {
    openSession: boolean;
    /** Admin creation (`/system/create-user`, Pryv API §8): no invitation token needed. */
    skipInvitation?: boolean;
  },
): Promise<{ user: User; apiEndpoint: string | null }> {
  const { config } = services;
  if (isReservedUsername(p.username, config)) throw taken('username');
  if (options.skipInvitation !== true && !invitationAccepted(config.registration.invitationTokens, p.invitationToken)) {
    throw new ApiError('invitationToken-invalid', 'Invalid invitation token.', { data: { param: 'invitationToken' } });
  }
  if (p.hosting !== null && p.hosting !== config.registration.hosting) {
    throw new ApiError('invalid-parameters-format', `Unknown hosting "${p.hosting}".`, {
      data: [{ code: 'hosting-invalid', message: 'unknown hosting', path: '#/hosting', param: 'hosting' }],
    });
  }
  const now = Date.now() / 1000;
  const user: User = {
    id: newId(),
    username: p.username,
    email: p.email,
    language: p.language,
    passwordHash: p.passwordHash ?? (await hashPassword(p.password ?? '')),
    created: now,
    modified: now,
  };
  try {
    await services.platform.registerUser(user.username, config.core.id, { email: user.email.toLowerCase() });
  } catch (err) {
    if (err instanceof UniqueFieldTakenError) throw taken(err.field);
    throw err;
  }
  try {
    await services.stores.users.create(user);
  } catch (err) {
    await services.platform.unregisterUser(user.username).catch((e: Error) => {
      services.logger.error({ err: e.message, username: user.username }, 'could not release platform entries after a failed registration');
    });
    if (err instanceof DuplicateKeyError) throw taken(err.key);
    throw err;
  }
  if (!options.openSession) return { user, apiEndpoint: null };
  const session = await openSession(services, user, p.appId);
  return { user, apiEndpoint: apiEndpoint(config, user.username, session.token) };
}
