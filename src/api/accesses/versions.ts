import { type ApiError, errors } from '../../errors/index.js';
import { apiAccessId, parseAccessId } from '../../domain/access-ids.js';
import type { StoredAccess } from '../../storage/interfaces/accesses-store.js';
import type { RequestContext } from '../context.js';

/** An access id given by a client, resolved against the live access (Pryv API §1.5, §3.4 update). */
export interface AccessLookup {
  current: StoredAccess;
  /** The serial the id names; null for a bare id. */
  serial: number | null;
}

/**
 * The live access an id (bare or `<id>:<serial>`) designates; 404 unknown-resource when there is
 * none, it is deleted, or the serial names a version that never existed.
 */
export async function lookupAccess(ctx: RequestContext, userId: string, id: string): Promise<AccessLookup> {
  const { base, serial } = parseAccessId(id);
  const current = await ctx.services.stores.accesses.getById(userId, base);
  if (current === null || current.deleted !== null || (serial !== null && serial > current.serial)) {
    throw errors.unknownResource('access', id);
  }
  return { current, serial };
}

export function staleResource(provided: string, currentSerial: number): ApiError {
  return errors.staleResource(`The access id "${provided}" is out of date: the access has been updated since.`, {
    data: { provided, currentSerial },
  });
}

/**
 * Writes (update) must name the current version exactly: `<id>:<serial>`, or the bare id while the
 * access was never updated; else 409 stale-resource.
 */
export function requireCurrentVersion(provided: string, found: AccessLookup): void {
  if ((found.serial ?? 0) !== found.current.serial) throw staleResource(provided, found.current.serial);
}

/** Delete accepts the bare id or the current composite id; an older version is stale. */
export function requireCurrentOrBare(provided: string, found: AccessLookup): void {
  if (found.serial !== null && found.serial !== found.current.serial) throw staleResource(provided, found.current.serial);
}

export function currentApiId(stored: Pick<StoredAccess, 'id' | 'serial'>): string {
  return apiAccessId(stored.id, stored.serial);
}
