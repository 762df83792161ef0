import type { UserDataKind, UserDataRecord, UserDataStore } from '../../interfaces/user-data-store.js';

/**
 * Whole-user export and import (bin/backup, bin/restore) are not written for this engine yet
 * (docs/mongodb.md#not-done): both refuse with a clear error rather than a partial result.
 */
export class MongoUserDataStore implements UserDataStore {
  // biome-ignore lint/correctness/useYield: refuses before the first record, on purpose.
  async *exportUser(_userId: string): AsyncIterable<UserDataRecord> {
    throw new Error('backups of the mongodb engine are not implemented yet (docs/mongodb.md#not-done)');
  }

  async importUser(_records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>> {
    throw new Error('restoring into the mongodb engine is not implemented yet (docs/mongodb.md#not-done)');
  }
}
