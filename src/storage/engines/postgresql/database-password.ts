import type { Config } from '../../../config/index.js';
import { readOrCreate, secretFile } from '../../../secrets/core-secrets.js';

/** Connection settings with the password resolved (never null). */
export type PgSettings = Omit<Config['storages']['postgresql'], 'password'> & { password: string };

/**
 * The user-data database's connection settings. The password comes from the configuration when set
 * (required for an external server); for the embedded server, null means one generated at first
 * start by the master into {varDir}/secrets/postgresql-password (0600) and set on its role, so no
 * installation runs with a password shipped in config/default.yml (issue #16).
 */
export function databaseSettings(config: Readonly<Config>, options: { create: boolean }): PgSettings {
  const s = config.storages.postgresql;
  if (s.password !== null) return { ...s, password: s.password };
  if (!s.embedded) throw new Error('storages.postgresql.password is required with an external PostgreSQL (embedded: false)');
  return { ...s, password: readOrCreate(secretFile(config, 'postgresql-password'), options.create) };
}
