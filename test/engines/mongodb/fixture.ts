import { randomBytes } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logging/logger.js';
import { engine } from '../../../src/storage/engines/mongodb/index.js';
import type { EngineTestFixture, ServerInfo } from '../fixtures.js';
import { mongoRecords } from './records.js';
import { freePort } from '../../helpers/free-port.js';

/**
 * MongoDB for the engine-parameterized suites: the run's embedded FerretDB, started once by the
 * global setup with the master's own `engine.provision` (bin/install-ferretdb must have run: bin/test
 * does), and a fresh database per call.
 */
export const fixture: EngineTestFixture = {
  name: 'mongodb',
  async startServer(varDir: string) {
    const [port, debugPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      env: {
        HOMECORE_PATHS__VAR_DIR: varDir,
        HOMECORE_STORAGES__ENGINE: 'mongodb',
        HOMECORE_STORAGES__MONGODB__FERRETDB__PORT: String(port),
        HOMECORE_STORAGES__MONGODB__FERRETDB__DEBUG_PORT: String(debugPort),
      },
    });
    const server = engine.provision(config, createLogger({ level: 'warn', role: 'test-services' }));
    if (server === null) throw new Error('the mongodb engine provisioned no FerretDB');
    await server.start();
    return { info: { url: `mongodb://127.0.0.1:${port}/` }, stop: () => server.stop() };
  },
  async freshDatabase(server: ServerInfo | undefined) {
    const url = server?.['url'];
    if (url === undefined) throw new Error('no FerretDB for the mongodb engine in this run (test/engines/fixtures.ts startServer)');
    const name = `t_${randomBytes(6).toString('hex')}`;
    return {
      env: { HOMECORE_STORAGES__ENGINE: 'mongodb', HOMECORE_STORAGES__MONGODB__URL: url, HOMECORE_STORAGES__MONGODB__DATABASE: name },
      drop: () => withDb(url, name, (db) => db.dropDatabase()),
      storedText: () =>
        withDb(url, name, async (db) => {
          const lines: string[] = [];
          for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
            for (const doc of await db.collection(c.name).find({}).toArray()) lines.push(`${c.name} ${JSON.stringify(doc)}`);
          }
          return lines.join('\n');
        }),
      records: mongoRecords((use) => withDb(url, name, use)),
    };
  },
};

async function withDb<T>(url: string, name: string, use: (db: Db) => Promise<T>): Promise<T> {
  const client = new MongoClient(url);
  try {
    return await use(client.db(name));
  } finally {
    await client.close();
  }
}
