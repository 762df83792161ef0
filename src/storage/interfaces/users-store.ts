import type { User } from '../../domain/types.js';
import type { StoredAccess } from './accesses-store.js';

export interface UsersStore {
  /** Throws DuplicateKeyError('username' | 'email') when taken on this core. */
  create(user: User): Promise<void>;
  getByUsername(username: string): Promise<User | null>;
  /**
   * The user with the version of their stream tree, which changes with every change to their streams
   * (the per-worker tree cache, src/api/stream-tree-cache.ts). Optional: an engine without it has
   * every request load the tree.
   */
  getWithStreamsVersion?(username: string): Promise<{ user: User; streamsVersion: number } | null>;
  /**
   * The caller of a request in one round trip (issue #10): the user, their streams version and the
   * access whose token hash is the first of `tokenHashes` found (any state: the caller checks
   * deleted and expired), read fresh, so a change acknowledged anywhere is seen by the next request
   * on every worker. Optional: without it, getWithStreamsVersion/getByUsername then
   * AccessesStore.findByTokenHash (two round trips).
   */
  getCaller?(username: string, tokenHashes: readonly string[]): Promise<{ user: User; streamsVersion: number; access: StoredAccess | null; hasWebhooks?: boolean } | null>;
  getById(id: string): Promise<User | null>;
  update(id: string, patch: Partial<Pick<User, 'email' | 'language' | 'passwordHash' | 'modified'>>): Promise<void>;
  list(): Promise<User[]>;
  /** Deletes the user and every row of theirs (accesses, streams, events, profile, …). */
  deleteCascade(id: string): Promise<void>;
  /** Bytes of stored documents and attached files (account.storageUsed). */
  storageUsed(id: string): Promise<{ dbDocuments: number; attachedFiles: number }>;
}
