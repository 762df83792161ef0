import { errors, type ApiError } from '../errors/index.js';
import type { User } from '../domain/types.js';
import { USERNAME_PATTERN } from '../domain/username.js';
import type { Services } from './context.js';

export function unknownUser(username: string): ApiError {
  // SDK callers match on "Unknown user" (Pryv API §1.1).
  return errors.unknownResource('user', username);
}

/**
 * The path user, when this core is its home. A user homed on another core gets 421 wrong-core with
 * that core's URL (multi-core only); an unknown one 404.
 */
export async function resolveUser(services: Services, username: string): Promise<User> {
  return (await resolveCaller(services, username)).user;
}

/** resolveUser, with the user's streams version when the engine keeps one (src/api/stream-tree-cache.ts). */
export async function resolveCaller(services: Services, username: string): Promise<{ user: User; streamsVersion?: number }> {
  const normalized = username.toLowerCase();
  if (!USERNAME_PATTERN.test(normalized)) throw unknownUser(username);
  const { users } = services.stores;
  if (users.getWithStreamsVersion !== undefined) {
    const found = await users.getWithStreamsVersion(normalized);
    if (found !== null) return found;
  } else {
    const user = await users.getByUsername(normalized);
    if (user !== null) return { user };
  }
  if (services.config.platform.mode === 'multi') {
    const home = await services.platform.homeCoreOf(normalized);
    if (home !== null && home.coreId !== services.config.core.id) {
      throw errors.wrongCore(`User "${normalized}" lives on another core.`, {
        data: { coreUrl: home.url },
        extra: { coreUrl: home.url },
      });
    }
  }
  throw unknownUser(username);
}
