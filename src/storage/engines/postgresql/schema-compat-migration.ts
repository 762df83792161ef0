import type { PgMigration } from './schema.js';

/**
 * Rolling upgrades (issue #13, docs/operations.md#rolling-upgrade): the oldest homecore release that
 * can serve this schema. Expand migrations leave it alone (the previous release ignores what they
 * add); a contract migration (a removal, a rename) declares `minAppVersion` and the runner raises
 * it in the same transaction, so an older binary refuses to start instead of failing on requests.
 */
export const SCHEMA_COMPAT_MIGRATION: PgMigration = {
  version: 16,
  name: 'schema-compat',
  sql: `
    CREATE TABLE schema_compat (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      min_app_version text NOT NULL,
      raised_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO schema_compat (min_app_version, raised_by) VALUES ('0.0.0', 'schema-compat');
  `,
};
