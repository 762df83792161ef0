import { errors, type ApiError } from '../errors/index.js';
import type { Access, User } from '../domain/types.js';
import type { AuthDeps } from './auth-deps.js';
import type { StoredAccess } from '../storage/interfaces/accesses-store.js';
import { apiAccessId } from '../domain/access-ids.js';

export function invalidToken(): ApiError {
  // The SDK matches on this message substring (Pryv API §1.2).
  return errors.invalidAccessToken('Cannot find access from token.', { httpStatus: 403 });
}

/**
 * The API form of a stored access: its id as the API shows it (`<id>:<serial>` once updated, so
 * getAccessInfo and the `Pryv-Access-Id` header name the current version); the token is unsealed
 * only when the caller may see it.
 */
export function toAccess(services: AuthDeps, stored: StoredAccess, knownToken?: string): Access {
  const { tokenHash: _h, tokenSealed, serial, ...rest } = stored;
  void _h;
  return { ...rest, id: apiAccessId(stored.id, serial), token: knownToken ?? services.vault.decrypt(tokenSealed) };
}

/**
 * Token → live access of `user`, or the API error the SDK expects: unknown or deleted → 403
 * invalid-access-token; personal session idle for longer than sessionMaxAge → 403
 * invalid-access-token; past `expires` → 403 forbidden.
 * `fresh` reads the store past this worker's cache: Socket.IO re-checks after an access change made
 * on another worker, whose revocation this worker's cache may not see for `auth.accessCacheMs`.
 */
export async function authenticate(services: AuthDeps, user: User, token: string, options: { fresh?: boolean } = {}): Promise<Access> {
  // One hash per lookup key, current first: an access made before a rotation is still found.
  let stored: StoredAccess | null = null;
  for (const hash of services.vault.lookupHashes(token)) {
    stored = options.fresh === true ? await services.stores.accesses.findByTokenHash(user.id, hash) : await services.accessCache.find(user.id, hash);
    if (stored !== null) break;
  }
  if (stored === null || stored.deleted !== null) throw invalidToken();
  const now = Date.now() / 1000;
  if (stored.type === 'personal') {
    const lastActivity = Math.max(stored.lastUsed ?? 0, stored.created);
    if (now - lastActivity > services.config.auth.sessionMaxAgeSeconds) {
      throw errors.invalidAccessToken('Access session has expired.', { httpStatus: 403 });
    }
  }
  if (stored.expires !== null && stored.expires < now) {
    throw errors.forbidden('Access has expired.', { data: { expired: stored.expires } });
  }
  return toAccess(services, stored, token);
}
