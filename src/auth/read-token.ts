import type { AuthDeps } from './auth-deps.js';
import { baseAccessId } from '../domain/access-ids.js';
import type { Access, User } from '../domain/types.js';
import { errors, type ApiError } from '../errors/index.js';
import { authenticate } from './authenticate.js';
import { safeEqual, type TokenVault } from './crypto.js';

/**
 * Attachment read tokens (Pryv API §2.2): `<accessId>-<mac>`, mac = keyed hash of the file id and
 * the reading access's token. They need no storage and die with the access: verifying one goes
 * through the access's own token, so a deleted, expired or logged-out access fails.
 */
const PURPOSE = 'attachment-read';
/** Length of the base64url HMAC-SHA256 (TokenVault.mac). */
const MAC_LENGTH = 43;

export function readTokenFor(vault: TokenVault, access: Pick<Access, 'id' | 'token'>, fileId: string): string {
  return `${baseAccessId(access.id)}-${vault.mac(PURPOSE, `${fileId}\0${access.token}`)}`;
}

function badReadToken(): ApiError {
  return errors.invalidAccessToken('Invalid read token.', { httpStatus: 401 });
}

/** The access behind a read token for `fileId`, or 401 invalid-access-token, whatever the reason. */
export async function accessFromReadToken(services: AuthDeps, user: User, readToken: string, fileId: string): Promise<Access> {
  // The mac has a fixed length and may itself contain '-': split from the end.
  const cut = readToken.length - MAC_LENGTH - 1;
  if (cut < 1 || readToken[cut] !== '-') throw badReadToken();
  const accessId = readToken.slice(0, cut);
  const stored = await services.stores.accesses.getById(user.id, accessId);
  if (stored === null || stored.deleted !== null) throw badReadToken();
  const token = services.vault.decrypt(stored.tokenSealed);
  // Any read-tokens key: a read token given out before a rotation stays good until its key is retired.
  const prefix = `${baseAccessId(stored.id)}-`;
  if (!services.vault.macs(PURPOSE, `${fileId}\0${token}`).some((mac) => safeEqual(readToken, prefix + mac))) throw badReadToken();
  // Same checks as a token in a header (idle session, expiry), all answered 401 here.
  return authenticate(services, user, token).catch(() => {
    throw badReadToken();
  });
}
