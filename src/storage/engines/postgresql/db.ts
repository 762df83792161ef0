import pg from 'pg';

/** What the stores query through: the pool, or one client inside a transaction. */
export type Db = pg.Pool | pg.PoolClient;

/**
 * Runs `fn` in a transaction: opens one when given the pool, joins the caller's when given a client
 * (already inside `Stores.transaction`), so store methods compose into one atomic unit.
 */
export async function inTransaction<T>(db: Db, fn: (client: Db) => Promise<T>): Promise<T> {
  if (!(db instanceof pg.Pool)) return fn(db);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
