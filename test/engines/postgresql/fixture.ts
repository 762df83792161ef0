import { inject } from 'vitest';
import type { EngineTestFixture } from '../fixtures.js';
import { createTestDatabase, pgEnv, pgStoredText } from '../../helpers/pg-database.js';
import { pgRecords } from './records.js';

/**
 * PostgreSQL for the engine-parameterized suites: a fresh database per call on the run's embedded
 * server (test/helpers/test-services.ts starts it, with the master's own `engine.provision`).
 */
export const fixture: EngineTestFixture = {
  name: 'postgresql',
  async freshDatabase() {
    const services = inject('services');
    const db = await createTestDatabase(services.pg, services.pgAdmin);
    return { env: pgEnv(db.settings), drop: db.drop, storedText: () => pgStoredText(db.settings), records: pgRecords(db.settings) };
  },
};
