import { errors } from '../../errors/index.js';
import { RESERVED_TOKENS } from '../../domain/access-rules.js';
import { slugifyStreamId } from '../../domain/stream-rules.js';
import type { Access } from '../../domain/types.js';

/** A client-chosen token, slugified like ids (Pryv API §1.5); reserved or empty → 400 invalid-item-id. */
export function checkToken(raw: string): string {
  const token = slugifyStreamId(raw);
  if (token === '' || RESERVED_TOKENS.has(raw) || RESERVED_TOKENS.has(token)) {
    throw errors.invalidItemId('The specified token is not allowed.', { data: { token: '(hidden)' } });
  }
  return token;
}

/**
 * `expireAfter` (seconds) → absolute `expires`. A new access may not outlive the access creating it
 * (§3.4): a later expiry is refused with 400 invalid-operation, and when the creator expires and no
 * expiry is requested, the new access inherits the creator's (so the invariant holds without
 * surprising the caller with a refusal).
 */
export function resolveExpiry(creator: Access, expireAfter: number | undefined, now: number): number | null {
  const requested = expireAfter === undefined ? null : now + expireAfter;
  if (creator.expires === null) return requested;
  if (requested === null) return creator.expires;
  if (requested > creator.expires) {
    throw errors.invalidOperation('New access cannot expire later than the managing access.', {
      data: { parentExpires: creator.expires, requestedExpires: requested },
    });
  }
  return requested;
}
