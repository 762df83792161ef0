import type { PgMigration } from './schema.js';

/**
 * A personal time-range read planned once per connection (issue #10, docs/benchmarks.md). events.get
 * with fromTime (and toTime), no other filter, newest first, is the statement of events-read-statement.ts
 * whose plan is the same for every range: a backward walk of `events_time` from toTime, bounded below
 * by the earliest start among the periods and running events that reach fromTime, stopping at the
 * limit. Sent as an unnamed statement, PostgreSQL planned it on every call (0.40 ms of planning for
 * 0.18 ms of execution under the bench); named, it never keeps the generic plan, whose estimates for
 * unknown values look dearer than the plans for the values (checked with PREPARE: custom every time).
 *
 * This function runs the same condition (whereClause's, for that shape: a test compares both on the
 * same data) with its plan pinned: `plan_cache_mode = force_generic_plan` keeps PL/pgSQL's cached plan
 * for the session, and without bitmap scans, sequential scans or sorts the one plan left is the walk
 * above, whatever a user's size or the range's width (a wide range with a small limit stops early,
 * as a custom plan would). The settings hold only while the function runs.
 */
export const TIME_RANGE_READ_MIGRATION: PgMigration = {
  version: 24,
  name: 'events-time-range-read',
  sql: `
    CREATE FUNCTION homecore_events_time_range(
      p_user text, p_from double precision, p_to double precision, p_now double precision, p_limit integer
    ) RETURNS TABLE (id text, "time" double precision, doc text, has_attachments boolean)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
    AS $fn$
    #variable_conflict use_column
    BEGIN
      RETURN QUERY SELECT e.id, e.time, e.doc, e.attached_bytes IS NOT NULL FROM events e
        WHERE e.user_id = p_user AND NOT e.trashed AND e.time <= p_to
          AND ((e.time >= p_from AND e.end_time IS NOT NULL) OR (e.end_time > e.time AND e.end_time >= p_from)
               OR (e.end_time IS NULL AND p_now >= p_from))
          AND e.time >= LEAST(p_from,
            (SELECT min(pe.time + 0) FROM events pe WHERE pe.user_id = p_user AND pe.end_time > pe.time AND pe.end_time >= p_from),
            (SELECT min(re.time) FROM events re WHERE re.user_id = p_user AND re.end_time IS NULL))
        ORDER BY e.time DESC, e.id DESC
        LIMIT p_limit;
    END $fn$;
  `,
};
