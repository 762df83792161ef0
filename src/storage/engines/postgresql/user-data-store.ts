import pg from 'pg';
import type { BulkImport, ImportDigest, ImportResult, UserDataKind, UserDataLines, UserDataRecord, UserDataStore } from '../../interfaces/user-data-store.js';
import type { Db } from './db.js';
import { deferIndexes, rebuildDeferredIndexes } from './bulk-import.js';
import { exportPgUser } from './user-data-export.js';
import { eventLines } from './user-data-lines.js';
import { importPgUser, type ImportOptions } from './user-data-import.js';
import { verifyPgImport } from './import-digest.js';
import { isUnavailable } from './unavailable.js';

/**
 * BulkImport.durable: a transaction that writes, committed synchronously. One that wrote no WAL
 * commits without waiting for a flush even with synchronous_commit on (an xid alone is not enough);
 * one that did waits until the WAL is on disk up to its commit record, past every commit before it.
 * A row written and removed in one transaction (one simple query): nothing is left behind.
 */
const FLUSH_IMPORTS = `INSERT INTO core_info (key, value) VALUES ('bulk_import_flush', 'true'::jsonb) ON CONFLICT (key) DO NOTHING;
  DELETE FROM core_info WHERE key = 'bulk_import_flush'`;

/** UserDataStore on PostgreSQL: each call takes a connection of its own for its transaction. */
export class PgUserDataStore implements UserDataStore {
  /** How imports run while a bulk import is open (beginBulkImport); null otherwise. */
  private bulk: ImportOptions | null = null;

  constructor(private readonly db: Db) {}

  private async connect(): Promise<pg.PoolClient> {
    // Both calls run their own transaction: they cannot join a caller's (Stores.transaction).
    if (!(this.db instanceof pg.Pool)) throw new Error('userData cannot run inside Stores.transaction');
    return this.db.connect();
  }

  async *exportUser(userId: string): AsyncGenerator<UserDataRecord> {
    const client = await this.connect();
    let failed: Error | undefined;
    try {
      yield* exportPgUser(client, userId);
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // A connection that failed mid-transaction is discarded, not handed to the next caller.
      client.release(failed);
    }
  }

  /** exportUser with the events and versions as COPY lines (user-data-lines.ts): bin/backup. */
  async *exportUserLines(userId: string): AsyncGenerator<UserDataRecord | UserDataLines> {
    const client = await this.connect();
    let ended = false;
    let failed: Error | undefined;
    try {
      yield* exportPgUser(client, userId, eventLines);
      ended = true;
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // Stopped early, the connection may be in the middle of a COPY: discarded.
      client.release(failed ?? (ended ? undefined : new Error('user export stopped early')));
    }
  }

  /**
   * Defers the events indexes while a whole-core restore fills an empty database (bulk-import.ts),
   * and lets each import commit without waiting for its WAL flush: a thousand users' commits each
   * waited for an fsync, 1.4 s of a 22 s restore at 1,000 users (docs/benchmarks.md). `durable`
   * then makes all of them durable at once (FLUSH_IMPORTS).
   */
  async beginBulkImport(): Promise<BulkImport> {
    const client = await this.connect();
    try {
      await deferIndexes(client);
    } finally {
      client.release();
    }
    this.bulk = { asyncCommit: true };
    const durable = async (): Promise<void> => {
      const c = await this.connect();
      try {
        await c.query(FLUSH_IMPORTS);
      } finally {
        c.release();
      }
    };
    return {
      durable,
      finish: async () => {
        this.bulk = null;
        await durable();
        // Two connections for the index builds, which share both cores, and a third that fills
        // event_streams beside them (bulk-import.ts); the data tools' pool has 6.
        const first = await this.connect();
        const more: pg.PoolClient[] = [];
        for (let i = 0; i < 2; i += 1) {
          const c = await this.connect().catch(() => null);
          if (c !== null) more.push(c);
        }
        const clients = [first, ...more];
        // A connection lost mid-build fails the statement under way, which reports it; its 'error'
        // event must not also be an uncaught one (a checked-out client has no pool listener).
        const quiet = (): void => undefined;
        let failed: Error | undefined;
        for (const c of clients) c.on('error', quiet);
        try {
          await rebuildDeferredIndexes(first, ...more);
        } catch (err) {
          failed = err as Error;
          throw err;
        } finally {
          for (const c of clients) {
            c.off('error', quiet);
            // After a failure the connections are discarded, not handed to the next caller.
            c.release(failed);
          }
        }
      },
    };
  }

  async importUser(records: AsyncIterable<UserDataRecord>): Promise<Partial<Record<UserDataKind, number>>> {
    return (await this.importUserLines(records)).counts;
  }

  /** importUser, events possibly as ready-made lines; with the digest of what it wrote (import-digest.ts). */
  async importUserLines(items: AsyncIterable<UserDataRecord | UserDataLines>): Promise<ImportResult> {
    const client = await this.connect();
    try {
      const result = await importPgUser(client, items, this.bulk ?? { asyncCommit: false });
      client.release();
      return result;
    } catch (err) {
      // Rolled back already; a connection lost meanwhile is discarded.
      client.release(isUnavailable(err) ? (err as Error) : undefined);
      throw err;
    }
  }

  /** The user's stored events, versions and series chunks against the digest of their import, in SQL. */
  async verifyImported(userId: string, digest: ImportDigest): Promise<string[]> {
    const client = await this.connect();
    try {
      return await verifyPgImport(client, userId, digest);
    } finally {
      client.release();
    }
  }
}
