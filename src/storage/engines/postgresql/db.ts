import pg from 'pg';
import { isUnavailable } from './unavailable.js';

/** What the stores query through: the pool, or one client inside a transaction. */
export type Db = pg.Pool | pg.PoolClient;

/**
 * Runs `fn` in a transaction: opens one when given the pool, joins the caller's when given a client
 * (already inside `Stores.transaction`), so store methods compose into one atomic unit.
 */
export async function inTransaction<T>(db: Db, fn: (client: Db) => Promise<T>): Promise<T> {
  if (!(db instanceof pg.Pool)) return fn(db);
  const client = await db.connect();
  let failure: unknown;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    // A lost connection here is reported by the client as WriteOutcomeUnknownError (failover-client.ts).
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failure = err;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A connection that failed is discarded, not handed to the next caller.
    client.release(isUnavailable(failure) ? (failure as Error) : undefined);
  }
}
