import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { DigestSums, verifyPgImport, type DigestAlgorithm } from '../../../src/storage/engines/postgresql/import-digest.js';
import { createTestDatabase } from '../../helpers/pg-database.js';

/**
 * The digest bin/restore's integrity check compares (issue #12): computed in JavaScript over the text
 * an import wrote and by PostgreSQL over the stored rows, they must agree for both checksums (CRC-32
 * on PostgreSQL 18+, MD5 before), whatever the text holds, and differ once a row changes.
 */
const services = inject('services');
let engine: PostgresEngine;
let drop: () => Promise<void>;
const USER = 'digest-user';
const DOCS = ['{"id":"d1","content":"plain"}', '{"id":"d2","content":"tab\\t back\\\\slash \\\\N é 中文 🙂"}', '{\t"id": "d3"}'];
const POINTS = '[0,1.5],[1,-0],[2,1e+21]';

beforeAll(async () => {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  drop = db.drop;
  engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 2 });
  await engine.migrate();
  await engine.pool.query(`INSERT INTO users (id, username, email, language, password_hash, created, modified) VALUES ($1, 'digest-name', 'd@example.test', 'en', 'x', 1, 1)`, [USER]);
  for (const [i, doc] of DOCS.entries()) {
    await engine.pool.query(`INSERT INTO events (user_id, id, stream_ids, type, time, modified, doc) VALUES ($1, $2, '{s}', 'note/txt', 1, 1, $3)`, [USER, `d${i + 1}`, doc]);
  }
  await engine.pool.query(`INSERT INTO series_chunks (user_id, event_id, t_min, t_max, n, points) VALUES ($1, 'd1', 0, 2, 3, $2)`, [USER, POINTS]);
});
afterAll(async () => {
  await engine?.close();
  await drop?.();
});

function digestOf(algorithm: DigestAlgorithm, docs: string[]): DigestSums {
  const sums = new DigestSums(algorithm);
  for (const d of docs) sums.add('event', Buffer.from(d));
  sums.add('series', POINTS);
  return sums;
}

describe('import digest', () => {
  it.each(['crc32', 'md5'] as const)('%s: PostgreSQL gives the same digest of the stored rows, and names a changed or missing one', async (algorithm) => {
    const client = await engine.pool.connect();
    try {
      expect(await verifyPgImport(client, USER, digestOf(algorithm, DOCS).result())).toEqual([]);
      // Same count and length, one character changed.
      expect(await verifyPgImport(client, USER, digestOf(algorithm, [DOCS[0] as string, DOCS[1] as string, '{\t"id": "d4"}']).result()))
        .toEqual([expect.stringMatching(/^events: the stored text differs from what was imported/)]);
      expect(await verifyPgImport(client, USER, digestOf(algorithm, DOCS.slice(0, 2)).result())).toEqual(['events: 3 rows stored, 2 imported']);
      const noSeries = new DigestSums(algorithm);
      for (const d of DOCS) noSeries.add('event', d);
      expect(await verifyPgImport(client, USER, noSeries.result())).toEqual(['series_chunks: 1 rows stored, 0 imported']);
    } finally {
      client.release();
    }
  });
});
