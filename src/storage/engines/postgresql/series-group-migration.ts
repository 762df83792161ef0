import type { PgMigration } from './schema.js';

/**
 * Series group commit (issue #10, docs/benchmarks.md#series-write): `series_put_many()` applies the
 * single-series writes that reached one worker together in one statement, so one round trip and one
 * commit (one WAL flush) serve them all. Entries are the arguments of `series_put()` (migration 7)
 * side by side; entry i owns the chunks p_first[i] … p_first[i] + p_count[i] − 1.
 *
 * Each entry may carry the holder facts its caller checked access with (type, time, stream ids
 * joined by U+001F; NULL type = not checked). They are compared with the stored event in the same
 * statement, so a worker can keep holders in memory (src/api/series/holder-cache.ts) and still never
 * write into a holder that was trashed, moved, retyped or deleted before the statement: such an entry
 * is not written. No row lock is taken (a KEY SHARE lock per entry would write the event row, and
 * make multixacts under concurrent groups): a change committed while the statement runs races it as
 * it raced the separate holder lookup before, and a holder deleted meanwhile fails the group on the
 * foreign key, which the engine then retries entry by entry.
 *
 * Answers one status per entry: 0 written, 1 not written because its points fall inside stored
 * chunks or an earlier entry of its series was not written (the engine then applies it in a
 * transaction of its own, in order), 2 not written because the holder is not the one described (or
 * gone). Callers pass entries sorted by (user, event), so concurrent groups take
 * the per-series advisory locks in one order and cannot deadlock.
 */
export const SERIES_GROUP_MIGRATION: PgMigration = {
  version: 21,
  name: 'series-put-many',
  sql: `
    CREATE FUNCTION series_put_many(
      p_user text[], p_event text[], p_type text[], p_time double precision[], p_streams text[],
      p_first integer[], p_count integer[], p_t_min double precision[], p_t_max double precision[],
      p_n integer[], p_points text[], p_chunk_points integer
    ) RETURNS integer[] LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      v_out integer[] := '{}';
      v_a integer;
      v_b integer;
      v_blocked boolean := false;
    BEGIN
      FOR i IN 1 .. coalesce(cardinality(p_user), 0) LOOP
        v_a := p_first[i];
        v_b := v_a + p_count[i] - 1;
        -- After an entry of a series that was not written, the later ones of that series wait too,
        -- so the engine applies them after it, in the order they came.
        IF i > 1 AND p_user[i] = p_user[i - 1] AND p_event[i] = p_event[i - 1] THEN
          IF v_blocked THEN
            v_out := v_out || 1;
            CONTINUE;
          END IF;
        ELSE
          v_blocked := false;
        END IF;
        IF p_type[i] IS NOT NULL THEN
          PERFORM 1 FROM events e
            WHERE e.user_id = p_user[i] AND e.id = p_event[i] AND NOT e.trashed AND e.type = p_type[i]
              AND e.time = p_time[i] AND array_to_string(e.stream_ids, chr(31)) = p_streams[i];
          IF NOT FOUND THEN
            v_out := v_out || 2;
            v_blocked := true;
            CONTINUE;
          END IF;
        END IF;
        IF series_put(p_user[i], p_event[i], p_t_min[v_a:v_b], p_t_max[v_a:v_b], p_n[v_a:v_b], p_points[v_a:v_b], p_chunk_points) THEN
          v_out := v_out || 0;
        ELSE
          v_out := v_out || 1;
          v_blocked := true;
        END IF;
      END LOOP;
      RETURN v_out;
    END
    $fn$;
  `,
};
