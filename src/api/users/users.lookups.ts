import { USERNAME_PATTERN } from '../../domain/username.js';
import { errors } from '../../errors/index.js';
import type { Services } from '../context.js';
import { coreUrlOfEmail, coreUrlOfUser } from './discovery.js';
import { isReservedUsername } from './registration-params.js';

/**
 * The register service's checks and lookups (Pryv API §4.3–4.6), answered by every core from the
 * platform DB; src/http/reg-routes.ts maps them to routes.
 */

/** `GET /reg/{username}/check_username`: reserved (by the configuration or a user) or free. */
export async function checkUsername(services: Services, raw: string): Promise<Record<string, unknown>> {
  const username = raw.toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw errors.invalidParametersFormat('Invalid username.', [{ code: 'username-invalid', message: 'invalid username', path: '#/username', param: 'username' }]);
  }
  if (isReservedUsername(username, services.config)) return { reserved: true, reason: 'RESERVED_USER_NAME' };
  return { reserved: (await services.platform.coreOf(username)) !== null };
}

/** `GET /reg/{email}/check_email`: free, or 409 item-already-exists. */
export async function checkEmail(services: Services, raw: string): Promise<Record<string, unknown>> {
  const email = raw.toLowerCase();
  if ((await services.platform.usernameFor('email', email)) !== null) {
    throw errors.itemAlreadyExists('That email is already taken.', { data: { email } });
  }
  return { reserved: false };
}

/** `GET /reg/cores?username=|email=`: the home core of one of them. */
export async function coreOfQuery(services: Services, query: { username?: string | undefined; email?: string | undefined }): Promise<Record<string, unknown>> {
  const { username, email } = query;
  if ((username === undefined) === (email === undefined)) {
    throw errors.invalidParametersFormat('Give exactly one of username or email.', [{ code: 'missing-required-field', message: 'username or email', path: '#', param: 'username' }]);
  }
  if (username !== undefined) {
    const url = await coreUrlOfUser(services, username);
    if (url === null) throw errors.notFound(`Unknown user "${username}"`);
    return { core: { url } };
  }
  return { core: { url: await coreUrlOfEmail(services, email ?? '') } };
}

/** `/reg/{username}/server`: the home core URL, or 404 unknown-user (the SDK's userExists() reads the id). */
export async function serverOf(services: Services, username: string): Promise<string> {
  const server = await coreUrlOfUser(services, username);
  if (server === null) throw errors.unknownUser(username);
  return server;
}

/** `/reg/{email}/uid|username`: the owner of an email, or 404 unknown-email. */
export async function usernameOfEmail(services: Services, raw: string): Promise<string> {
  const username = await services.platform.usernameFor('email', raw.toLowerCase());
  if (username === null) throw errors.unknownEmail();
  return username;
}
