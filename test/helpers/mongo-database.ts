import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { MongoSettings } from '../../src/storage/engines/mongodb/engine.js';

/** A fresh database name for one test file on the shared FerretDB; `drop()` removes it. */
export function createMongoTestDatabase(url: string): { settings: MongoSettings; drop: () => Promise<void> } {
  const name = `t_${randomBytes(6).toString('hex')}`;
  return {
    settings: { url, database: name, poolSize: 4, connectTimeoutMs: 5000 },
    drop: async () => {
      const client = new MongoClient(url);
      try {
        await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}
