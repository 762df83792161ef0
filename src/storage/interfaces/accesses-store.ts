import type { Access } from '../../domain/types.js';

/**
 * An access as stored: the token only as lookup hash + sealed copy (src/auth/crypto.ts); `id` is the
 * base id and `serial` counts its updates (the API shows `<id>:<serial>` once it is > 0,
 * src/domain/access-ids.ts).
 */
export interface StoredAccess extends Omit<Access, 'token'> {
  tokenHash: string;
  tokenSealed: string;
  serial: number;
}

/** A new access: always stored at serial 0. */
export type NewStoredAccess = Omit<StoredAccess, 'serial'>;

/** A past version as the API showed it (its own `id`), without token or usage counters. */
export type AccessVersionDoc = Omit<Access, 'token' | 'calls' | 'deleted'>;

export interface AccessVersion {
  serial: number;
  doc: AccessVersionDoc;
  /** When the next version replaced it. */
  replaced: number;
}

/** What accesses.update may change (Pryv API §3.4 update) plus the tracking fields. */
export type AccessVersionPatch = Partial<Pick<StoredAccess, 'name' | 'deviceName' | 'permissions' | 'expires' | 'clientData'>> & { integrity?: string | null } &
  Pick<StoredAccess, 'modified' | 'modifiedBy'>;

export interface AccessesStore {
  /** Throws DuplicateKeyError('token') or DuplicateKeyError('name') (type+name+deviceName). */
  create(userId: string, access: NewStoredAccess): Promise<void>;
  findByTokenHash(userId: string, tokenHash: string): Promise<StoredAccess | null>;
  /** By base id. */
  getById(userId: string, id: string): Promise<StoredAccess | null>;
  /** Live accesses (not deleted); deleted ones only with includeDeletions. */
  list(userId: string, options?: { includeDeletions?: boolean }): Promise<StoredAccess[]>;
  /** Live app/personal accesses of that name (+ device name), used by login and checkApp. */
  findByName(userId: string, type: Access['type'], name: string, deviceName: string | null): Promise<StoredAccess | null>;
  /** Unversioned write (usage, session refresh); accesses.update goes through updateVersioned. */
  update(userId: string, id: string, patch: Partial<StoredAccess>): Promise<void>;
  /**
   * One atomic step: keeps `previous` in the history as version `expectedSerial`, applies `patch` and
   * bumps the serial, only if the live access is still at `expectedSerial` (compare-and-set: of two
   * concurrent updates from the same version, one wins). Returns the new version, or null when the
   * access moved on or is gone. Throws DuplicateKeyError('name') on a type+name+deviceName clash.
   */
  updateVersioned(userId: string, id: string, expectedSerial: number, patch: AccessVersionPatch, previous: { doc: AccessVersionDoc; replaced: number }): Promise<StoredAccess | null>;
  /** Past versions of an access, newest first (empty when never updated). */
  history(userId: string, id: string): Promise<AccessVersion[]>;
  /** Marks deleted (kept for accessDeletions). Returns false if it was not live. */
  markDeleted(userId: string, ids: string[], deleted: number): Promise<void>;
  /** Usage tracking: adds call counts and sets lastUsed, in one statement. */
  recordUsage(userId: string, id: string, lastUsed: number, calls: Record<string, number>): Promise<void>;
}
