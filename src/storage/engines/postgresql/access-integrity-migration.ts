import type { PgMigration } from './schema.js';

/**
 * Access `integrity` stored with the access (config `integrity.accesses`, docs/api.md#integrity),
 * written by accesses.create, accesses.update and logins, checked by bin/integrity-check. Null for
 * accesses written while the setting was off. Version 14: the api-rest branch's number.
 */
export const ACCESS_INTEGRITY_MIGRATION: PgMigration = {
  version: 14,
  name: 'access-integrity',
  sql: 'ALTER TABLE accesses ADD COLUMN integrity text;',
};
