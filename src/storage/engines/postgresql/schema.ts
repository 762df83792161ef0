import { EVENT_HISTORY_MIGRATION } from './event-history-migration.js';
import { AUTH_ATTEMPTS_MIGRATION } from './auth-attempts-migration.js';
import { MFA_MAIL_MIGRATION } from './mfa-mail-migration.js';
import { ACCESS_INTEGRITY_MIGRATION } from './access-integrity-migration.js';
import { SCHEMA_COMPAT_MIGRATION } from './schema-compat-migration.js';
import { CLONE_CHANGES_MIGRATION } from './clone-changes-migration.js';
import { CONTENT_STATS_MIGRATION } from './content-stats-migration.js';
import { STREAMS_VERSION_MIGRATION } from './streams-version-migration.js';
import { EVENT_COLUMNS_MIGRATION } from './event-columns-migration.js';
import { SERIES_GROUP_MIGRATION } from './series-group-migration.js';
import { EVENT_STREAMS_MIGRATION } from './event-streams-migration.js';
import { STREAMS_DELTA_MIGRATION } from './streams-delta-migration.js';
import { SERIES_TIERED_APPEND_MIGRATION } from './series-tiered-append-migration.js';
import { TIME_RANGE_READ_MIGRATION } from './time-range-read-migration.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
  /** Contract migrations only: the oldest release that can serve the schema once applied (schema-compat-migration.ts). */
  minAppVersion?: string;
}

/** Append only: a released migration never changes. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'core-info',
    // Facts about the core owning this database, so a core never starts on another core's data.
    sql: `CREATE TABLE core_info (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  },
  {
    version: 2,
    name: 'users-accesses-profiles-streams',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        username text NOT NULL UNIQUE,
        email text NOT NULL,
        language text NOT NULL,
        password_hash text NOT NULL,
        created double precision NOT NULL,
        modified double precision NOT NULL
      );
      CREATE UNIQUE INDEX users_email ON users (lower(email));
      -- Tokens exist here only as a keyed hash (lookup) and sealed with AES-GCM (display): a dump
      -- of this table yields no usable token.
      CREATE TABLE accesses (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        token_hash text NOT NULL,
        token_sealed text NOT NULL,
        type text NOT NULL,
        name text NOT NULL,
        device_name text,
        permissions jsonb NOT NULL,
        expires double precision,
        last_used double precision,
        calls jsonb NOT NULL DEFAULT '{}'::jsonb,
        client_data jsonb,
        created double precision NOT NULL,
        created_by text NOT NULL,
        modified double precision NOT NULL,
        modified_by text NOT NULL,
        deleted double precision,
        PRIMARY KEY (user_id, id)
      );
      CREATE UNIQUE INDEX accesses_token ON accesses (user_id, token_hash);
      CREATE UNIQUE INDEX accesses_name ON accesses (user_id, type, name, coalesce(device_name, '')) WHERE deleted IS NULL;
      CREATE INDEX accesses_created_by ON accesses (user_id, created_by) WHERE deleted IS NULL;
      CREATE TABLE profiles (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (user_id, id)
      );
      CREATE TABLE streams (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        parent_id text,
        name text NOT NULL,
        client_data jsonb,
        trashed boolean NOT NULL DEFAULT false,
        created double precision NOT NULL,
        created_by text NOT NULL,
        modified double precision NOT NULL,
        modified_by text NOT NULL,
        PRIMARY KEY (user_id, id)
      );
      CREATE UNIQUE INDEX streams_sibling_name ON streams (user_id, coalesce(parent_id, ''), name);
      CREATE TABLE stream_deletions (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        deleted double precision NOT NULL,
        PRIMARY KEY (user_id, id)
      );
      CREATE INDEX stream_deletions_time ON stream_deletions (user_id, deleted);
      CREATE TABLE key_values (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        expires_at double precision NOT NULL
      );
      CREATE INDEX key_values_expires ON key_values (expires_at);
    `,
  },
  {
    version: 3,
    name: 'events',
    // `doc` is the event's exact API JSON (written straight into events.get responses); the other
    // columns exist for filtering and sorting. `end_time` = time + duration, NULL while running.
    sql: `
      CREATE TABLE events (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        stream_ids text[] NOT NULL,
        type text NOT NULL,
        time double precision NOT NULL,
        end_time double precision,
        trashed boolean NOT NULL DEFAULT false,
        modified double precision NOT NULL,
        doc text NOT NULL,
        PRIMARY KEY (user_id, id)
      );
      CREATE INDEX events_time ON events (user_id, time, id);
      CREATE INDEX events_end_time ON events (user_id, end_time);
      CREATE INDEX events_running ON events (user_id, time) WHERE end_time IS NULL;
      CREATE INDEX events_modified ON events (user_id, modified);
      CREATE INDEX events_type ON events (user_id, type text_pattern_ops);
      CREATE INDEX events_stream_ids ON events USING gin (stream_ids);
      CREATE TABLE event_deletions (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        deleted double precision NOT NULL,
        PRIMARY KEY (user_id, id)
      );
      CREATE INDEX event_deletions_time ON event_deletions (user_id, deleted, id);
    `,
  },
  {
    version: 4,
    name: 'events-stream-keys',
    // Stream membership per user: the GIN on bare stream_ids walks every user's postings of a common
    // id ("diary"); keys "<userId> <streamId>" keep the lookup to one user without btree_gin.
    sql: `
      CREATE FUNCTION event_stream_keys(user_id text, stream_ids text[]) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $fn$ SELECT ARRAY(SELECT user_id || ' ' || s FROM unnest(stream_ids) AS s) $fn$;
      CREATE INDEX events_stream_keys ON events USING gin (event_stream_keys(user_id, stream_ids));
      DROP INDEX events_stream_ids;
    `,
  },
  {
    version: 5,
    name: 'access-versions',
    // Pryv API §3.4 update (v2): `serial` counts an access's updates (shown as `<id>:<serial>` once
    // > 0); each replaced version is kept as the API showed it (no token, no usage counters).
    sql: `
      ALTER TABLE accesses ADD COLUMN serial integer NOT NULL DEFAULT 0;
      CREATE TABLE access_history (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        serial integer NOT NULL,
        doc jsonb NOT NULL,
        replaced double precision NOT NULL,
        PRIMARY KEY (user_id, id, serial),
        FOREIGN KEY (user_id, id) REFERENCES accesses (user_id, id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 6,
    name: 'webhooks',
    // Pryv API §2.6, §3.5. The signing secret is sealed like tokens. One webhook_deliveries row per
    // webhook with something to send: `messages` accumulates (coalesced), `sending` is what a claimed
    // call carries; `claim` + `lease_until` keep a call with one delivery loop at a time, and
    // `due_at` holds both the minIntervalMs spacing and the retry backoff, so both survive restarts.
    sql: `
      CREATE TABLE webhooks (
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id text NOT NULL,
        access_id text NOT NULL,
        url text NOT NULL,
        secret_sealed text NOT NULL,
        state text NOT NULL,
        scopes jsonb,
        run_count integer NOT NULL DEFAULT 0,
        fail_count integer NOT NULL DEFAULT 0,
        current_retries integer NOT NULL DEFAULT 0,
        max_retries integer NOT NULL,
        min_interval_ms integer NOT NULL,
        runs jsonb NOT NULL DEFAULT '[]'::jsonb,
        last_run jsonb NOT NULL,
        boot_at double precision,
        created double precision NOT NULL,
        created_by text NOT NULL,
        modified double precision NOT NULL,
        modified_by text NOT NULL,
        PRIMARY KEY (user_id, id),
        FOREIGN KEY (user_id, access_id) REFERENCES accesses (user_id, id) ON DELETE CASCADE
      );
      CREATE UNIQUE INDEX webhooks_access_url ON webhooks (user_id, access_id, url);
      CREATE INDEX webhooks_active ON webhooks (user_id) WHERE state = 'active';
      CREATE TABLE webhook_deliveries (
        user_id text NOT NULL,
        webhook_id text NOT NULL,
        messages text[] NOT NULL DEFAULT '{}',
        sending text[],
        due_at double precision NOT NULL,
        claim text,
        lease_until double precision,
        PRIMARY KEY (user_id, webhook_id),
        FOREIGN KEY (user_id, webhook_id) REFERENCES webhooks (user_id, id) ON DELETE CASCADE
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at);
    `,
  },
  {
    version: 7,
    name: 'series-chunks',
    // High-frequency series (Pryv API §5, docs/architecture.md#high-frequency-series). Points are kept
    // in chunks of up to ~1000: one row holds the JSON text of its points (`[dt,v…],[dt,v…]`, written
    // as-is into reads) and its deltaTime range. Chunks of one series never overlap, so a range read
    // is one index range scan and a 1000-point write is one row. The primary key is the
    // (user, event, deltaTime) index of range reads; the foreign key drops a holder's points with it.
    // series_put() appends under a per-series advisory lock in one round trip, or answers false when
    // the new points fall inside stored chunks (the engine then merges them in a transaction).
    // `points` is stored uncompressed (EXTERNAL): pglz costs more CPU per read and write than the
    // disk it saves is worth at the target rates, and this PostgreSQL build has no lz4.
    sql: `
      CREATE TABLE series_chunks (
        user_id text NOT NULL,
        event_id text NOT NULL,
        t_min double precision NOT NULL,
        t_max double precision NOT NULL,
        n integer NOT NULL,
        points text NOT NULL,
        PRIMARY KEY (user_id, event_id, t_min),
        FOREIGN KEY (user_id, event_id) REFERENCES events (user_id, id) ON DELETE CASCADE
      ) WITH (fillfactor = 90);
      ALTER TABLE series_chunks ALTER COLUMN points SET STORAGE EXTERNAL;
      CREATE FUNCTION series_put(
        p_user text, p_event text, p_t_min double precision[], p_t_max double precision[],
        p_n integer[], p_points text[], p_chunk_points integer
      ) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_lo double precision := p_t_min[1];
        v_hi double precision := p_t_max[cardinality(p_t_max)];
        v_min double precision;
        v_max double precision;
        v_n integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_user || ' ' || p_event, 0));
        -- Statements of a VOLATILE function take fresh snapshots: this sees every chunk committed by
        -- writers that held the lock before. Chunks are disjoint, so the last one starting at or
        -- before v_hi is the only one that can overlap [v_lo, v_hi].
        SELECT c.t_min, c.t_max, c.n INTO v_min, v_max, v_n FROM series_chunks c
          WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min <= v_hi
          ORDER BY c.t_min DESC LIMIT 1;
        IF FOUND AND v_max >= v_lo THEN
          RETURN false;
        END IF;
        IF FOUND AND cardinality(p_n) = 1 AND v_n + p_n[1] <= p_chunk_points THEN
          -- Small writes fill the chunk before them instead of adding tiny rows.
          UPDATE series_chunks c SET t_max = v_hi, n = c.n + p_n[1], points = c.points || ',' || p_points[1]
            WHERE c.user_id = p_user AND c.event_id = p_event AND c.t_min = v_min;
        ELSE
          INSERT INTO series_chunks (user_id, event_id, t_min, t_max, n, points)
            SELECT p_user, p_event, u.a, u.b, u.c, u.d FROM unnest(p_t_min, p_t_max, p_n, p_points) AS u (a, b, c, d);
        END IF;
        RETURN true;
      END
      $fn$;
    `,
  },
  {
    version: 8,
    name: 'event-attachments',
    // Total bytes of an event's attached files (Pryv API §2.2), NULL when it has none: the sum of
    // storageUsed.attachedFiles, and the flag that tells events.get which stored docs need per-access
    // readTokens added (the others are written out untouched).
    sql: `ALTER TABLE events ADD COLUMN attached_bytes bigint`,
  },
  {
    version: 9,
    name: 'events-query-indexes',
    // events.get plans (docs/benchmarks.md, EXPLAIN ANALYZE on the bench data):
    // - Time ranges: only a period (end_time > time) can start before fromTime and still be in range,
    //   so indexing just those bounds that case by an index range scan (events-read-statement.ts whereClause).
    //   It replaces events_end_time, which bounded nothing: every newer event ends later.
    // - Stream filters: the keys are stored instead of computed. Any plan that filters the user's
    //   rows by time order called event_stream_keys() (an SQL function, ~5 µs) on every row it
    //   visited, up to all of the user's events when statistics were missing; the column also gets
    //   its own statistics, so row estimates for stream filters are right. fastupdate is off: with
    //   it, new keys wait in a pending list (up to 4 MB) that every stream-filtered read scans in
    //   full until a vacuum merges it (13 ms instead of 1.4 ms per read after a 10,000-event import).
    sql: `
      CREATE INDEX events_periods ON events (user_id, end_time) WHERE end_time > time;
      DROP INDEX events_end_time;
      ALTER TABLE events ADD COLUMN stream_keys text[] GENERATED ALWAYS AS (event_stream_keys(user_id, stream_ids)) STORED;
      DROP INDEX events_stream_keys;
      CREATE INDEX events_stream_keys ON events USING gin (stream_keys) WITH (fastupdate = off);
    `,
  },
  {
    version: 10,
    name: 'events-content-queries',
    // events.get content queries (content-sql.ts, docs/benchmarks.md): `content` and `clientData`
    // as jsonb, generated from `doc` so every write path fills them. GIN jsonb_path_ops indexes
    // answer the containment tests of `eq` and `in`; events_object_content walks a user's events
    // with object content in time order, for the other operators (a range or prefix test then reads
    // those rows only, not the user's numbers and notes). Only objects are indexed: a scalar content
    // (most events) has no path to look up, and leaving those rows out keeps event writes cheap.
    sql: `
      ALTER TABLE events
        ADD COLUMN content jsonb GENERATED ALWAYS AS (doc::jsonb -> 'content') STORED,
        ADD COLUMN client_data jsonb GENERATED ALWAYS AS (doc::jsonb -> 'clientData') STORED;
      CREATE INDEX events_content ON events USING gin (content jsonb_path_ops) WITH (fastupdate = off)
        WHERE jsonb_typeof(content) = 'object';
      CREATE INDEX events_object_content ON events (user_id, time, id) WHERE jsonb_typeof(content) = 'object';
      CREATE INDEX events_client_data ON events USING gin (client_data jsonb_path_ops) WITH (fastupdate = off)
        WHERE jsonb_typeof(client_data) = 'object';
    `,
  },
  AUTH_ATTEMPTS_MIGRATION,
  EVENT_HISTORY_MIGRATION,
  MFA_MAIL_MIGRATION,
  ACCESS_INTEGRITY_MIGRATION,
  SCHEMA_COMPAT_MIGRATION,
  CLONE_CHANGES_MIGRATION,
  CONTENT_STATS_MIGRATION,
  STREAMS_VERSION_MIGRATION,
  EVENT_COLUMNS_MIGRATION,
  SERIES_GROUP_MIGRATION,
  EVENT_STREAMS_MIGRATION,
  STREAMS_DELTA_MIGRATION,
  TIME_RANGE_READ_MIGRATION,
  SERIES_TIERED_APPEND_MIGRATION,
];

/** The highest version, not the last one: parallel branches append 14, 15 and 16 in any order. */
export const PG_SCHEMA_VERSION = Math.max(0, ...PG_MIGRATIONS.map((m) => m.version));
