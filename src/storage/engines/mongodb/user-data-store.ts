import type { MongoClient } from 'mongodb';
import type { UserDataKind, UserDataRecord, UserDataStore } from '../../interfaces/user-data-store.js';
import type { MongoCtx } from './context.js';
import { exportMongoUser } from './user-data-export.js';
import { importMongoUser } from './user-data-import.js';

/**
 * Whole-user export and import (bin/backup, bin/restore), in the engine-neutral records of
 * UserDataStore: a backup of either engine restores into the other. On a server with transactions
 * (a replica set) the export reads through a snapshot session, one moment for every collection; on
 * FerretDB, collection by collection (user-data-export.ts, docs/mongodb.md#backups).
 */
export class MongoUserDataStore implements UserDataStore {
  constructor(
    private readonly ctx: MongoCtx,
    private readonly client: MongoClient,
    private readonly transactions: () => Promise<boolean>,
  ) {}

  async *exportUser(userId: string): AsyncGenerator<UserDataRecord> {
    if (!(await this.transactions())) {
      yield* exportMongoUser({ db: this.ctx.db }, userId);
      return;
    }
    const session = this.client.startSession({ snapshot: true });
    try {
      yield* exportMongoUser({ db: this.ctx.db, session }, userId);
    } finally {
      await session.endSession();
    }
  }

  importUser(records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>> {
    return importMongoUser({ db: this.ctx.db }, records);
  }
}
