import type { PgMigration } from './schema.js';

/**
 * Stream-tree refresh by difference (issue #10, src/api/stream-tree-cache.ts). Before, a worker
 * whose cached tree was one version behind loaded the user's whole tree again: on a user with
 * 10,000 streams, every streams.update cost each API worker a 10,000-row load (37–42 updates/s).
 * Now it asks only for the streams changed since the version it holds (`streams.changed_version`,
 * indexed per user) and the user's stream count (`users.streams_count`), in one statement.
 *
 * Each created or updated stream row takes a new user's streams version, and the row is given that
 * same version, in one UPDATE of the user's row made by a row trigger before the row is written.
 * Why that matters: versions come from one sequence, but transactions commit in any order. A row
 * version taken before the user's row is locked could be below a version another transaction
 * commits first as the user's; a worker caching that version would never ask for the row. Taken
 * in the UPDATE, under the row lock held until commit, every stream write of a user takes its
 * versions after the previous one committed, so a version seen as the user's covers every row
 * version below it (test/engines/postgresql/postgresql-streams-version.test.ts). (The UPDATE's lock does not block the key-share locks of foreign-key checks:
 * event writes never wait on it.) One UPDATE per row replaces migration 19's statement triggers
 * for inserts and updates: streams are written one row per statement on every hot path.
 *
 * Deletions are not versioned: the count shows them (a tree holding more streams than the count
 * after the changes are applied still has a deleted one) and the worker then loads the whole tree,
 * as it does for anything it cannot apply. That also covers a user deleted and restored with the
 * same id. Migration 19's delete trigger keeps the version and now the count, in one UPDATE.
 */
export const STREAMS_DELTA_MIGRATION: PgMigration = {
  version: 23,
  name: 'streams-delta',
  sql: `
    ALTER TABLE streams ADD COLUMN changed_version bigint NOT NULL DEFAULT 0;
    CREATE INDEX streams_changed ON streams (user_id, changed_version);
    ALTER TABLE users ADD COLUMN streams_count integer NOT NULL DEFAULT 0;
    UPDATE users u SET streams_count = c.n FROM (SELECT user_id, count(*) AS n FROM streams GROUP BY user_id) c WHERE u.id = c.user_id;

    DROP TRIGGER streams_version_insert ON streams;
    DROP TRIGGER streams_version_update ON streams;
    CREATE FUNCTION homecore_stream_changed_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- nextval in the SET, not before: an UPDATE that waited for another writer of the row
      -- computes its new row again once that one committed (READ COMMITTED re-evaluation), so the
      -- version it keeps is taken after it.
      UPDATE users SET streams_version = nextval('streams_versions'), streams_count = streams_count + (TG_OP = 'INSERT')::integer
        WHERE id = NEW.user_id
        RETURNING streams_version INTO NEW.changed_version;
      -- No such user: the foreign key refuses the row, with its own error.
      IF NOT FOUND THEN NEW.changed_version := 0; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER streams_changed_version BEFORE INSERT OR UPDATE ON streams
      FOR EACH ROW EXECUTE FUNCTION homecore_stream_changed_version();

    CREATE OR REPLACE FUNCTION homecore_bump_streams_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE users u SET streams_version = nextval('streams_versions'), streams_count = u.streams_count - c.n
        FROM (SELECT user_id, count(*)::integer AS n FROM changed_streams GROUP BY user_id) c
        WHERE u.id = c.user_id;
      RETURN NULL;
    END $$;
  `,
};
