import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import {
  PlatformDbConstraintError,
  PlatformDbError,
  PlatformDbStatementError,
} from '../../src/platform/errors.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';

/**
 * The rqlite client against the real rqlited of the integration run (shared by every file): this file
 * only touches tables named with its own random suffix and drops them at the end.
 */
const services = inject('services');
const logger = createLogger({ level: 'silent', role: 'test' });
const suffix = randomBytes(4).toString('hex');
const T = `client_kv_${suffix}`;
const U = `client_uniq_${suffix}`;
let client: RqliteClient;

async function rejection(p: Promise<unknown>): Promise<PlatformDbError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PlatformDbError);
    return err as PlatformDbError;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  client = new RqliteClient({ url: services.rqliteUrl, requestTimeoutMs: 5000, retryBudgetMs: 5000, logger });
  await client.execute([
    `CREATE TABLE ${T} (k TEXT PRIMARY KEY, v TEXT, n INTEGER, f REAL, b INTEGER)`,
    `CREATE TABLE ${U} (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)`,
  ], { transaction: true });
});
afterAll(async () => {
  await client.execute([`DROP TABLE IF EXISTS ${T}`, `DROP TABLE IF EXISTS ${U}`], { idempotent: true });
  await client.close();
});

describe('RqliteClient against rqlited', () => {
  it('is ready', async () => {
    const r = await client.isReady(1000);
    expect(r).toMatchObject({ ok: true });
    expect(r.detail).toContain('leader ok');
  });

  it('round-trips parameters of every type', async () => {
    const [w] = await client.execute([[`INSERT INTO ${T} (k, v, n, f, b) VALUES (?, ?, ?, ?, ?)`, 'types', 'héllo ✓', 42, 1.5, null]]);
    expect(w?.rows_affected).toBe(1);
    const rows = await client.queryRows(`SELECT v, n, f, b FROM ${T} WHERE k = ?`, ['types']);
    expect(rows).toEqual([{ v: 'héllo ✓', n: 42, f: 1.5, b: null }]);
  });

  it('stores quotes and SQL injection attempts literally', async () => {
    const nasty = [`O'Brien "the" \\ ;`, `x'); DROP TABLE ${T}; --`, `' OR '1'='1`];
    await client.execute(nasty.map((v, i) => [`INSERT INTO ${T} (k, v) VALUES (?, ?)`, `nasty-${i}`, v]), { transaction: true });
    const rows = await client.queryRows(`SELECT k, v FROM ${T} WHERE k LIKE ? ORDER BY k`, ['nasty-%']);
    expect(rows.map((r) => r['v'])).toEqual(nasty);
    // the WHERE with an injection attempt as a parameter matches only the literal value
    expect(await client.queryRows(`SELECT k FROM ${T} WHERE v = ?`, [`' OR '1'='1`])).toEqual([{ k: 'nasty-2' }]);
    expect(await client.queryRows(`SELECT k FROM ${T} WHERE k = ?`, [`' OR '1'='1`])).toEqual([]);
    // and the table survived
    expect((await client.queryRows(`SELECT count(*) AS c FROM ${T}`))[0]?.['c']).toBeGreaterThanOrEqual(3);
  });

  it('a transaction is all-or-nothing: a UNIQUE violation in statement 1 leaves no trace of statement 0', async () => {
    await client.execute([[`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 1, 'taken@example.com']]);
    const err = await rejection(
      client.execute(
        [
          [`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 2, 'fresh@example.com'],
          [`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 3, 'taken@example.com'],
        ],
        { transaction: true },
      ),
    );
    expect(err).toBeInstanceOf(PlatformDbConstraintError);
    expect((err as PlatformDbConstraintError).statementIndex).toBe(1);
    expect(await client.queryRows(`SELECT id FROM ${U} WHERE email = ?`, ['fresh@example.com'], 'linearizable')).toEqual([]);
  });

  it('without ?transaction, statements before the failing one are applied (so the flag matters)', async () => {
    const err = await rejection(
      client.execute([
        [`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 10, 'no-tx@example.com'],
        [`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 11, 'taken@example.com'],
      ]),
    );
    expect(err).toBeInstanceOf(PlatformDbConstraintError);
    expect(await client.queryRows(`SELECT id FROM ${U} WHERE email = ?`, ['no-tx@example.com'], 'linearizable')).toEqual([{ id: 10 }]);
  });

  it('a primary-key clash is a constraint error', async () => {
    const err = await rejection(client.execute([[`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 1, 'other@example.com']]));
    expect(err).toBeInstanceOf(PlatformDbConstraintError);
  });

  it('NOT NULL and syntax errors are statement errors, not "value taken"', async () => {
    const notNull = await rejection(client.execute([[`INSERT INTO ${U} (id, email) VALUES (?, ?)`, 50, null]]));
    expect(notNull).toBeInstanceOf(PlatformDbStatementError);
    expect(notNull).not.toBeInstanceOf(PlatformDbConstraintError);
    const syntax = await rejection(client.execute([`INSERT INTO ${U} VALUS (1)`]));
    expect(syntax).toBeInstanceOf(PlatformDbStatementError);
    expect(syntax).not.toBeInstanceOf(PlatformDbConstraintError);
  });

  it('reading a missing table fails instead of answering no rows', async () => {
    const err = await rejection(client.queryRows(`SELECT * FROM no_such_table_${suffix}`));
    expect(err).toBeInstanceOf(PlatformDbStatementError);
    expect(err.message).toMatch(/no such table/);
  });

  it('a write sent as a query is refused and not applied', async () => {
    const err = await rejection(client.query([[`INSERT INTO ${T} (k, v) VALUES (?, ?)`, 'via-query', 'x']]));
    expect(err).toBeInstanceOf(PlatformDbStatementError);
    expect(await client.queryRows(`SELECT k FROM ${T} WHERE k = ?`, ['via-query'], 'linearizable')).toEqual([]);
  });

  it.each(['none', 'weak', 'linearizable', 'strong'] as const)('reads its own write at level=%s', async (level) => {
    const key = `level-${level}`;
    await client.execute([[`INSERT INTO ${T} (k, v) VALUES (?, ?)`, key, level]]);
    expect(await client.queryRows(`SELECT v FROM ${T} WHERE k = ?`, [key], level)).toEqual([{ v: level }]);
  });

  it('several queries in one call give one result set each', async () => {
    const results = await client.query(
      [[`SELECT v FROM ${T} WHERE k = ?`, 'types'], [`SELECT v FROM ${T} WHERE k = ?`, 'missing'], `SELECT 7 AS seven`],
      'linearizable',
    );
    expect(results).toEqual([{ rows: [{ v: 'héllo ✓' }] }, { rows: [] }, { rows: [{ seven: 7 }] }]);
  });

  it('INSERT … ON CONFLICT DO NOTHING reports rows_affected as a compare-and-set', async () => {
    const stmt: [string, ...string[]] = [`INSERT INTO ${T} (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING`, 'cas', 'first'];
    const [first] = await client.execute([stmt], { idempotent: true });
    const [second] = await client.execute([[stmt[0], 'cas', 'second']], { idempotent: true });
    expect(first?.rows_affected).toBe(1);
    expect(second?.rows_affected ?? 0).toBe(0);
    expect(await client.queryRows(`SELECT v FROM ${T} WHERE k = ?`, ['cas'], 'linearizable')).toEqual([{ v: 'first' }]);
  });
});
