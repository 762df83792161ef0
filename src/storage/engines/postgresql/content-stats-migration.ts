import type { PgMigration } from './schema.js';

/**
 * Statistics on how many events have object content / clientData (issue #11, content-sql.ts,
 * docs/benchmarks.md#content-queries). Without them the planner guesses 0.5 % for
 * `jsonb_typeof(content) = 'object'`, so it believed a user had ~35 events in
 * `events_object_content` when it had 2,000, read them all through a bitmap and sorted them instead
 * of walking the index newest first until the page was full: 2,000 rows per query instead of ~75.
 * Expression statistics (PostgreSQL 14+) give that count its own figures at every ANALYZE; the
 * ANALYZE here fills them at once instead of at autovacuum's next pass. Version 18 by agreement
 * between parallel branches.
 */
export const CONTENT_STATS_MIGRATION: PgMigration = {
  version: 18,
  name: 'content-kind-statistics',
  sql: `
    CREATE STATISTICS events_content_kind ON (jsonb_typeof(content)) FROM events;
    CREATE STATISTICS events_client_data_kind ON (jsonb_typeof(client_data)) FROM events;
    ANALYZE events;
  `,
};
