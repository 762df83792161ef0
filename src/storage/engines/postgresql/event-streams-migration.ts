import type { PgMigration } from './schema.js';

/**
 * Stream-filtered reads at scale (issue #10, docs/benchmarks.md#stream-filtered-reads): one row per
 * (event, stream it is in), keyed (user, stream, time, id). "The latest 20 events of these streams"
 * is then a short backward walk of each stream's own time order (stream-indexed-read.ts
 * `streamIndexedStatement`). Before, the GIN index on `stream_keys` could only find every matching
 * event and sort them (a parent of 1,000 events: 2 ms), or the planner walked the user's whole time
 * order filtering out the rest (10,000 rows dropped: 30 ms); neither bounded by the 20 asked for.
 *
 * Kept by triggers, so every writer (the stores, the backup restore's COPY, the previous release
 * during a rolling upgrade, raw SQL) keeps it right in the same transaction: inserts and deletes once
 * per statement from their transition tables (a batch of 1,000 events is one INSERT … SELECT), an
 * update only when it changes the stream ids, the time or `trashed` (the WHEN clause is tested
 * without calling the function). `trashed` rides in the index (INCLUDE) so the default state filter
 * needs no event row. ON CONFLICT: an event naming one stream twice has one row for it.
 */
export const EVENT_STREAMS_MIGRATION: PgMigration = {
  version: 22,
  name: 'event-streams',
  sql: `
    CREATE TABLE event_streams (
      user_id text NOT NULL,
      stream_id text NOT NULL,
      time double precision NOT NULL,
      id text NOT NULL,
      trashed boolean NOT NULL,
      PRIMARY KEY (user_id, stream_id, time, id) INCLUDE (trashed)
    );
    CREATE FUNCTION homecore_event_streams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO event_streams (user_id, stream_id, time, id, trashed)
        SELECT n.user_id, s, n.time, n.id, n.trashed FROM new_rows n CROSS JOIN LATERAL unnest(n.stream_ids) AS s
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$;
    CREATE FUNCTION homecore_event_streams_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM event_streams es USING old_rows o
        WHERE es.user_id = o.user_id AND es.stream_id = ANY (o.stream_ids) AND es.time = o.time AND es.id = o.id;
      RETURN NULL;
    END $$;
    CREATE FUNCTION homecore_event_streams_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM event_streams
        WHERE user_id = OLD.user_id AND stream_id = ANY (OLD.stream_ids) AND time = OLD.time AND id = OLD.id;
      INSERT INTO event_streams (user_id, stream_id, time, id, trashed)
        SELECT NEW.user_id, s, NEW.time, NEW.id, NEW.trashed FROM unnest(NEW.stream_ids) AS s
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$;
    CREATE TRIGGER events_streams_insert AFTER INSERT ON events
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION homecore_event_streams_insert();
    CREATE TRIGGER events_streams_delete AFTER DELETE ON events
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION homecore_event_streams_delete();
    CREATE TRIGGER events_streams_update AFTER UPDATE ON events
      FOR EACH ROW WHEN (OLD.stream_ids IS DISTINCT FROM NEW.stream_ids OR OLD.time IS DISTINCT FROM NEW.time
        OR OLD.trashed IS DISTINCT FROM NEW.trashed OR OLD.user_id IS DISTINCT FROM NEW.user_id)
      EXECUTE FUNCTION homecore_event_streams_update();
    INSERT INTO event_streams (user_id, stream_id, time, id, trashed)
      SELECT e.user_id, s, e.time, e.id, e.trashed FROM events e CROSS JOIN LATERAL unnest(e.stream_ids) AS s
      ON CONFLICT DO NOTHING;
    ANALYZE event_streams;
  `,
};
