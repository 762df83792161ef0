import type { PgMigration } from './schema.js';

/**
 * Failed logins and rate-limited requests per username or client address (issue #16), shared by
 * every worker and clone of the core; one row per key (attempts-store.ts). In a file of its own so
 * schema.ts stays under 300 lines. 11, not 10: a parallel branch adds 10, and versions are applied
 * by presence, not order.
 */
export const AUTH_ATTEMPTS_MIGRATION: PgMigration = {
  version: 11,
  name: 'auth-attempts',
  sql: `
    CREATE TABLE auth_attempts (
      key text PRIMARY KEY,
      attempts integer NOT NULL,
      last_at double precision NOT NULL,
      locked_until double precision NOT NULL
    );
    CREATE INDEX auth_attempts_last_at ON auth_attempts (last_at);
  `,
};
