import type { Access } from '../../domain/types.js';

/** An access as stored: the token only as lookup hash + sealed copy (src/auth/crypto.ts). */
export interface StoredAccess extends Omit<Access, 'token'> {
  tokenHash: string;
  tokenSealed: string;
}

export interface AccessesStore {
  /** Throws DuplicateKeyError('token') or DuplicateKeyError('name') (type+name+deviceName). */
  create(userId: string, access: StoredAccess): Promise<void>;
  findByTokenHash(userId: string, tokenHash: string): Promise<StoredAccess | null>;
  getById(userId: string, id: string): Promise<StoredAccess | null>;
  /** Live accesses (not deleted); deleted ones only with includeDeletions. */
  list(userId: string, options?: { includeDeletions?: boolean }): Promise<StoredAccess[]>;
  /** Live app/personal accesses of that name (+ device name), used by login and checkApp. */
  findByName(userId: string, type: Access['type'], name: string, deviceName: string | null): Promise<StoredAccess | null>;
  update(userId: string, id: string, patch: Partial<StoredAccess>): Promise<void>;
  /** Marks deleted (kept for accessDeletions). Returns false if it was not live. */
  markDeleted(userId: string, ids: string[], deleted: number): Promise<void>;
  /** Usage tracking: adds call counts and sets lastUsed, in one statement. */
  recordUsage(userId: string, id: string, lastUsed: number, calls: Record<string, number>): Promise<void>;
}
