import type { PgMigration } from './schema.js';

/**
 * Small series appends without rewriting a whole chunk (issue #10, docs/benchmarks.md#series-appends-in-small-chunks-2026-12-05).
 *
 * series_put() (migration 7) let a small write fill the chunk before it up to CHUNK_POINTS (1,000):
 * a 10-point append rewrote that chunk's whole `points` value, on average 500 points, about 6 KB
 * stored out of line (EXTERNAL): its TOAST rows read, written again with their index entries and
 * WAL, the old ones left to vacuum. Under the bench's 10-point writes PostgreSQL used more CPU than
 * the API workers.
 *
 * Now a small write fills only a *small* chunk (at most a tenth of CHUNK_POINTS, 100 points, about
 * 1.3 KB: kept in the row itself); past that it starts a chunk of its own, and once ten small chunks
 * follow one another they are merged into one (at most CHUNK_POINTS points, their texts joined in
 * order). Each point is so rewritten at most about five times while small and once in the merge,
 * instead of about fifty times. A series' tail holds at most ten small chunks, so reads stay a
 * handful of rows per thousand points. Everything else is unchanged: same signature, same advisory
 * lock, same answer (false when the new points fall inside stored chunks).
 */
export const SERIES_TIERED_APPEND_MIGRATION: PgMigration = {
  version: 25,
  name: 'series-tiered-append',
  sql: `
    CREATE OR REPLACE FUNCTION series_put(
      p_user text, p_event text, p_t_min double precision[], p_t_max double precision[],
      p_n integer[], p_points text[], p_chunk_points integer
    ) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      v_lo double precision := p_t_min[1];
      v_hi double precision := p_t_max[cardinality(p_t_max)];
      v_small integer := greatest(1, p_chunk_points / 10);
      v_min double precision;
      v_max double precision;
      v_n integer;
      v_chunk record;
      v_run integer := 0;
      v_run_n integer := 0;
      v_run_min double precision;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtextextended(p_user || ' ' || p_event, 0));
      -- Statements of a VOLATILE function take fresh snapshots: this sees every chunk committed by
      -- writers that held the lock before. Chunks are disjoint, so the last one starting at or
      -- before v_hi is the only one that can overlap [v_lo, v_hi].
      SELECT c.t_min, c.t_max, c.n INTO v_min, v_max, v_n FROM series_chunks c
        WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min <= v_hi
        ORDER BY c.t_min DESC LIMIT 1;
      -- No chunk before: SELECT INTO left v_min, v_max and v_n NULL, which the tests below read as such.
      IF v_max >= v_lo THEN
        RETURN false;
      END IF;
      IF v_n IS NOT NULL AND cardinality(p_n) = 1 AND v_n + p_n[1] <= v_small THEN
        -- A small write fills the small chunk before it: a rewrite of at most v_small points.
        UPDATE series_chunks c SET t_max = v_hi, n = c.n + p_n[1], points = c.points || ',' || p_points[1]
          WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min = v_min;
        RETURN true;
      END IF;
      IF v_n IS NOT NULL AND v_n <= v_small THEN
        -- Ten small chunks in a row, ending with the one before the new points, become one.
        FOR v_chunk IN SELECT c.t_min, c.n FROM series_chunks c
            WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min <= v_min
            ORDER BY c.t_min DESC LIMIT 10 LOOP
          EXIT WHEN v_chunk.n > v_small;
          v_run := v_run + 1;
          v_run_n := v_run_n + v_chunk.n;
          v_run_min := v_chunk.t_min;
        END LOOP;
        IF v_run = 10 THEN
          UPDATE series_chunks c SET t_max = v_max, n = v_run_n, points = (
              SELECT string_agg(r.points, ',' ORDER BY r.t_min) FROM series_chunks r
                WHERE r.user_id = p_user AND r.event_id = p_event AND r.t_min >= v_run_min AND r.t_min <= v_min)
            WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min = v_run_min;
          DELETE FROM series_chunks c
            WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min > v_run_min AND c.t_min <= v_min;
        END IF;
      END IF;
      INSERT INTO series_chunks (user_id, event_id, t_min, t_max, n, points)
        SELECT p_user, p_event, u.a, u.b, u.c, u.d FROM unnest(p_t_min, p_t_max, p_n, p_points) AS u (a, b, c, d);
      RETURN true;
    END
    $fn$;
  `,
};
