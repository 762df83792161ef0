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
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;
