import type { Event } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/logging/logger.js';
import { PostgresEngine } from '../../../src/storage/engines/postgresql/engine.js';
import { PgEventsStore } from '../../../src/storage/engines/postgresql/events-store.js';
import { PgSeriesStore } from '../../../src/storage/engines/postgresql/series-store.js';
import { PgUsersStore } from '../../../src/storage/engines/postgresql/users-store.js';
import { createTestDatabase } from '../../helpers/pg-database.js';
import type { ServiceInfo } from '../../helpers/test-services.js';

export interface SeriesStoreFixture {
  engine: PostgresEngine;
  store: PgSeriesStore;
  events: PgEventsStore;
  drop: () => Promise<void>;
}

/** A migrated database of its own with one user and its series holder events, for the PostgreSQL series store tests. */
export async function seriesStoreFixture(services: ServiceInfo, user: { id: string; username: string }, holders: Event[]): Promise<SeriesStoreFixture> {
  const db = await createTestDatabase(services.pg, services.pgAdmin);
  const engine = new PostgresEngine(db.settings, createLogger({ level: 'silent', role: 'test' }), { poolSize: 12 });
  await engine.migrate();
  await new PgUsersStore(engine.pool).create({
    id: user.id, username: user.username, email: `${user.username}@example.test`, language: 'en', passwordHash: 'x', created: 1, modified: 1,
  });
  const events = new PgEventsStore(engine.pool);
  for (const h of holders) await events.create(user.id, h);
  return { engine, store: new PgSeriesStore(engine.pool), events, drop: db.drop };
}
