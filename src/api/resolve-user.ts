import { errors, type ApiError } from '../errors/index.js';
import type { User } from '../domain/types.js';
import { USERNAME_PATTERN } from '../domain/username.js';
import type { RequestContext, Services } from './context.js';
import type { StoredAccess } from '../storage/interfaces/accesses-store.js';
import { findAccess } from '../auth/authenticate.js';

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

/** The user of a request, with their streams version (src/api/stream-tree-cache.ts) and, when asked, the access of a token. */
export interface Caller {
  user: User;
  streamsVersion?: number;
  /** Set when `tokenHashes` were given: the stored access of the first hash found, or null. */
  access?: StoredAccess | null;
  /** Whether the user had an active webhook when looked up (engines that tell: PostgreSQL's getCaller). */
  hasWebhooks?: boolean;
}

/**
 * The facts a lookup read that hold for its own call only (RequestContext.streamsVersion,
 * hasWebhooks), as context fields: HTTP calls, downloads and each Socket.IO call take them from
 * their own lookup; a batch's calls read the version again (registry.ts).
 */
export function callFacts(c: Pick<Caller, 'streamsVersion' | 'hasWebhooks'>): Pick<RequestContext, 'streamsVersion' | 'hasWebhooks'> {
  return {
    ...(c.streamsVersion === undefined ? {} : { streamsVersion: c.streamsVersion }),
    ...(c.hasWebhooks === undefined ? {} : { hasWebhooks: c.hasWebhooks }),
  };
}

/**
 * resolveUser, with the user's streams version when the engine keeps one. With `tokenHashes`
 * (a token's lookup hashes, current first), the access too: in the same statement when the engine
 * has UsersStore.getCaller (issue #10: one round trip for user, access and streams version), or
 * read fresh after the user. Nothing here is cached, so a user or access deleted, expired or changed
 * is seen by the next request on every worker.
 */
export async function resolveCaller(services: Services, username: string, tokenHashes?: readonly string[]): Promise<Caller> {
  const normalized = username.toLowerCase();
  if (!USERNAME_PATTERN.test(normalized)) throw unknownUser(username);
  const { users, accesses } = services.stores;
  if (tokenHashes !== undefined && users.getCaller !== undefined) {
    const found = await users.getCaller(normalized, tokenHashes);
    if (found !== null) return found;
  } else if (users.getWithStreamsVersion !== undefined) {
    const found = await users.getWithStreamsVersion(normalized);
    if (found !== null) return tokenHashes === undefined ? found : { ...found, access: await findAccess(accesses, found.user.id, tokenHashes) };
  } else {
    const user = await users.getByUsername(normalized);
    if (user !== null) return tokenHashes === undefined ? { user } : { user, access: await findAccess(accesses, user.id, tokenHashes) };
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
