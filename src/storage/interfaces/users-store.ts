import type { User } from '../../domain/types.js';

export interface UsersStore {
  /** Throws DuplicateKeyError('username' | 'email') when taken on this core. */
  create(user: User): Promise<void>;
  getByUsername(username: string): Promise<User | null>;
  getById(id: string): Promise<User | null>;
  update(id: string, patch: Partial<Pick<User, 'email' | 'language' | 'passwordHash' | 'modified'>>): Promise<void>;
  list(): Promise<User[]>;
  /** Deletes the user and every row of theirs (accesses, streams, events, profile, …). */
  deleteCascade(id: string): Promise<void>;
  /** Bytes of stored documents and attached files (account.storageUsed). */
  storageUsed(id: string): Promise<{ dbDocuments: number; attachedFiles: number }>;
}
