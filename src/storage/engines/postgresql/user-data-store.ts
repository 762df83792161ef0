import pg from 'pg';
import type { UserDataKind, UserDataRecord, UserDataStore } from '../../interfaces/user-data-store.js';
import type { Db } from './db.js';
import { exportPgUser } from './user-data-export.js';
import { importPgUser } from './user-data-import.js';

/** UserDataStore on PostgreSQL: each call takes a connection of its own for its transaction. */
export class PgUserDataStore implements UserDataStore {
  constructor(private readonly db: Db) {}

  private async connect(): Promise<pg.PoolClient> {
    // Both calls run their own transaction: they cannot join a caller's (Stores.transaction).
    if (!(this.db instanceof pg.Pool)) throw new Error('userData cannot run inside Stores.transaction');
    return this.db.connect();
  }

  async *exportUser(userId: string): AsyncGenerator<UserDataRecord> {
    const client = await this.connect();
    try {
      yield* exportPgUser(client, userId);
    } finally {
      client.release();
    }
  }

  async importUser(records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>> {
    const client = await this.connect();
    try {
      return await importPgUser(client, records);
    } finally {
      client.release();
    }
  }
}
