import type { PgMigration } from './schema.js';

/**
 * Restore speed (issue #12, docs/benchmarks.md#backup-and-restore): `stream_keys`, `content` and
 * `client_data` stop being generated columns. Generated, every insert parsed the whole doc as jsonb
 * twice (~33 µs a row, six times the plain insert); now the writers supply them (events-store.ts,
 * user-data-import.ts: `eventColumns`), parsing only the content and clientData they already hold.
 * DROP EXPRESSION keeps the stored values and rewrites nothing.
 *
 * The trigger keeps the columns right for any writer that does not supply them (expand, then
 * contract: the previous release, and raw SQL): an insert without `stream_keys` (never NULL from
 * our writers: event_stream_keys of an empty array is `{}`), or an update that changes `doc` but
 * none of the three. Its WHEN clause is tested by the executor without calling the function, so
 * writers that supply the values pay nothing for it.
 */
export const EVENT_COLUMNS_MIGRATION: PgMigration = {
  version: 20,
  name: 'event-columns',
  sql: `
    ALTER TABLE events
      ALTER COLUMN stream_keys DROP EXPRESSION,
      ALTER COLUMN content DROP EXPRESSION,
      ALTER COLUMN client_data DROP EXPRESSION;
    CREATE FUNCTION homecore_event_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      d jsonb := NEW.doc::jsonb;
    BEGIN
      NEW.stream_keys := event_stream_keys(NEW.user_id, NEW.stream_ids);
      NEW.content := d -> 'content';
      NEW.client_data := d -> 'clientData';
      RETURN NEW;
    END $$;
    CREATE TRIGGER events_columns_insert BEFORE INSERT ON events
      FOR EACH ROW WHEN (NEW.stream_keys IS NULL) EXECUTE FUNCTION homecore_event_columns();
    CREATE TRIGGER events_columns_update BEFORE UPDATE ON events
      FOR EACH ROW WHEN (NEW.doc IS DISTINCT FROM OLD.doc AND NEW.stream_keys IS NOT DISTINCT FROM OLD.stream_keys
        AND NEW.content IS NOT DISTINCT FROM OLD.content AND NEW.client_data IS NOT DISTINCT FROM OLD.client_data)
      EXECUTE FUNCTION homecore_event_columns();
  `,
};
