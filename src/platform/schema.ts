import type { Statement } from './response.js';

export interface PlatformMigration {
  version: number;
  name: string;
  statements: Statement[];
}

/**
 * Platform DB schema, shared by every core. Append only: a released migration never changes
 * (expand/contract upgrades, notes §4.7).
 */
export const PLATFORM_MIGRATIONS: readonly PlatformMigration[] = [
  {
    version: 1,
    name: 'initial',
    statements: [
      // Cores registry: placement picks the least-loaded available core of a hosting.
      `CREATE TABLE cores (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        hosting TEXT NOT NULL,
        available INTEGER NOT NULL DEFAULT 1,
        user_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      'CREATE INDEX cores_hosting_available ON cores (hosting, available, user_count)',
      // user → home core. Username uniqueness is this primary key.
      `CREATE TABLE users (
        username TEXT PRIMARY KEY,
        core_id TEXT NOT NULL REFERENCES cores (id),
        created_at INTEGER NOT NULL
      )`,
      'CREATE INDEX users_core ON users (core_id)',
      // Platform-wide unique fields (email, custom unique account fields). Registration inserts the
      // mapping and these rows in one transaction of plain INSERTs: a constraint error means "taken".
      `CREATE TABLE unique_fields (
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        username TEXT NOT NULL,
        PRIMARY KEY (field, value)
      )`,
      'CREATE INDEX unique_fields_username ON unique_fields (username)',
      `CREATE TABLE invitations (
        token TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        consumed_at INTEGER,
        consumed_by TEXT
      )`,
      // TTL'd request states (access requests, …): every worker of every core can answer a poll.
      `CREATE TABLE request_states (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      )`,
      'CREATE INDEX request_states_expires ON request_states (expires_at)',
    ],
  },
  {
    version: 2,
    name: 'registrations-dns-cache',
    statements: [
      // A registration reserves its rows with its own id and `pending = 1`; the home core confirms
      // once the user exists in its database. An in-doubt write is resolved by reading the id back,
      // and a reservation never confirmed is released by id (docs/architecture.md, issue #15).
      'ALTER TABLE users ADD COLUMN reg_id TEXT',
      'ALTER TABLE users ADD COLUMN pending INTEGER NOT NULL DEFAULT 0',
      'ALTER TABLE unique_fields ADD COLUMN reg_id TEXT',
      'CREATE INDEX users_pending ON users (pending, created_at)',
      // The core's public IP, for the embedded DNS server (`{coreId}.{domain}`, `lsc`, `reg`).
      'ALTER TABLE cores ADD COLUMN ip TEXT',
      // Bumped in the same transaction as a change that cached lookups must see (user deleted, core
      // URL / IP / availability changed); every worker polls this small table at level=none.
      'CREATE TABLE cache_epochs (scope TEXT PRIMARY KEY, epoch INTEGER NOT NULL)',
      "INSERT INTO cache_epochs (scope, epoch) VALUES ('users', 0), ('cores', 0)",
    ],
  },
  {
    version: 3,
    name: 'cluster',
    statements: [
      // Multi-core (issue #15): where each core's rqlited is dialled, and whether it should vote.
      // `voter` is the wanted suffrage; each core's master brings its rqlited in line.
      `CREATE TABLE cluster_nodes (
        core_id TEXT PRIMARY KEY,
        ip TEXT NOT NULL,
        raft_address TEXT NOT NULL,
        voter INTEGER NOT NULL DEFAULT 0,
        cert_sha256 TEXT,
        cert_expires_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      // One-time join tokens of `bin/bootstrap.js new-core`: only a SHA-256 of the token is stored.
      `CREATE TABLE join_tokens (
        token_hash TEXT PRIMARY KEY,
        core_id TEXT NOT NULL,
        issued_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        revoked_at INTEGER
      )`,
      'CREATE INDEX join_tokens_core ON join_tokens (core_id)',
    ],
  },
  {
    version: 4,
    name: 'core-zones',
    statements: [
      // Where a core's hosting sits in /reg/hostings (regions → zones → hostings), written by each
      // core at start and by `new-core`. NULL on rows written before: shown under "default".
      'ALTER TABLE cores ADD COLUMN zone TEXT',
      'ALTER TABLE cores ADD COLUMN region TEXT',
      'ALTER TABLE cores ADD COLUMN hosting_name TEXT',
    ],
  },
  {
    version: 5,
    name: 'core-instances',
    statements: [
      // The processes serving a core (issue #13): one row per master, i.e. per clone, keyed by its
      // rqlited node id. Each master writes its own readiness and a heartbeat; `cores.available` is
      // recomputed from them by every master (core-instances.ts): a core is available while one of
      // its instances says so and has been heard from before its `stale_at`.
      `CREATE TABLE core_instances (
        core_id TEXT NOT NULL REFERENCES cores(id) ON DELETE CASCADE,
        instance TEXT NOT NULL,
        available INTEGER NOT NULL,
        reason TEXT,
        seen_at INTEGER NOT NULL,
        stale_at INTEGER NOT NULL,
        PRIMARY KEY (core_id, instance)
      )`,
    ],
  },
];

export const PLATFORM_SCHEMA_VERSION = PLATFORM_MIGRATIONS[PLATFORM_MIGRATIONS.length - 1]?.version ?? 0;
