export interface PgMigration {
  version: number;
  name: string;
  sql: string;
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
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;
