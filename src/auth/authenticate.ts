import { errors, type ApiError } from '../errors/index.js';
import type { Access, User } from '../domain/types.js';
import type { AuthDeps } from './auth-deps.js';
import type { AccessesStore, StoredAccess } from '../storage/interfaces/accesses-store.js';
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

/** The stored access of the first of `hashes` found (current hash first: an access made before a key rotation is still found). */
export async function findAccess(accesses: AccessesStore, userId: string, hashes: readonly string[]): Promise<StoredAccess | null> {
  for (const hash of hashes) {
    const stored = await accesses.findByTokenHash(userId, hash);
    if (stored !== null) return stored;
  }
  return null;
}

/**
 * Token → live access of `user`, or the API error the SDK expects: unknown or deleted → 403
 * invalid-access-token; personal session idle for longer than sessionMaxAge → 403
 * invalid-access-token; past `expires` → 403 forbidden.
 * The access is read from the store on every call (no per-worker cache: a revocation acknowledged by
 * any worker or clone is refused by the next request everywhere), unless the caller read it already
 * in the same statement as the user (`stored`, src/api/resolve-user.ts resolveCaller).
 */
export async function authenticate(services: AuthDeps, user: User, token: string, options: { stored?: StoredAccess | null } = {}): Promise<Access> {
  const stored = options.stored !== undefined ? options.stored : await findAccess(services.stores.accesses, user.id, services.vault.lookupHashes(token));
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
