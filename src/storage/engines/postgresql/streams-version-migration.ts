import type { PgMigration } from './schema.js';

/**
 * Per-worker stream-tree cache (issue #10, src/api/stream-tree-cache.ts): `users.streams_version`
 * changes in the same transaction as every change to the user's streams, whatever makes it (a method,
 * an import, a cascade), because triggers bump it, not the callers. The user lookup every request
 * makes returns it, so a worker reuses its tree only while the version it cached is the current
 * one: a change made through another worker or clone is seen by the next request, with no message
 * between them. Statement-level triggers: one bump per statement and user, however many rows.
 * Values come from a sequence, never from the row's own count: a user deleted and restored with the
 * same id (bin/restore) can never get back a version some worker cached for their former streams.
 */
export const STREAMS_VERSION_MIGRATION: PgMigration = {
  version: 19,
  name: 'streams-version',
  sql: `
    CREATE SEQUENCE streams_versions;
    ALTER TABLE users ADD COLUMN streams_version bigint NOT NULL DEFAULT nextval('streams_versions');
    CREATE FUNCTION homecore_bump_streams_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE users SET streams_version = nextval('streams_versions') WHERE id IN (SELECT DISTINCT user_id FROM changed_streams);
      RETURN NULL;
    END $$;
    CREATE TRIGGER streams_version_insert AFTER INSERT ON streams
      REFERENCING NEW TABLE AS changed_streams FOR EACH STATEMENT EXECUTE FUNCTION homecore_bump_streams_version();
    CREATE TRIGGER streams_version_update AFTER UPDATE ON streams
      REFERENCING NEW TABLE AS changed_streams FOR EACH STATEMENT EXECUTE FUNCTION homecore_bump_streams_version();
    CREATE TRIGGER streams_version_delete AFTER DELETE ON streams
      REFERENCING OLD TABLE AS changed_streams FOR EACH STATEMENT EXECUTE FUNCTION homecore_bump_streams_version();
  `,
};
