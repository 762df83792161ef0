import type { PgMigration } from './schema.js';

/**
 * Change notifications shared by the clones of one core (issue #13, change-feed.ts). Each clone's
 * master appends the changes its workers announce and NOTIFYs `homecore_changes` with the row's
 * `seq`; the other clones LISTEN and read the rows past the last `seq` they delivered, so a clone
 * that lost its connection (database restart) catches up from the table. Rows are trimmed after a
 * while: a notification only says "refetch", it carries no data. Version 17: 14 to 16 belong to
 * parallel branches.
 */
export const CLONE_CHANGES_MIGRATION: PgMigration = {
  version: 17,
  name: 'clone-changes',
  sql: `
    CREATE TABLE clone_changes (
      seq bigserial PRIMARY KEY,
      origin text NOT NULL,
      message jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX clone_changes_created_at ON clone_changes (created_at);
  `,
};
