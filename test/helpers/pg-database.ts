import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config/index.js';

/**
 * PostgreSQL test plumbing: the shared test server's settings and a fresh database per test file.
 * Test-side only (raw SQL checks, databases made and dropped); the code under test reaches the
 * engine through src/storage/engine-registry.ts.
 */
export type PgSettings = Omit<Config['storages']['postgresql'], 'password'> & { password: string };

/** The app role of an embedded server the master's code provisioned in `config.paths.varDir`. */
export function pgAppSettings(config: Readonly<Config>): PgSettings {
  const s = config.storages.postgresql;
  return { ...s, password: s.password ?? readFileSync(join(config.paths.varDir, 'secrets', 'postgresql-password'), 'utf8').trim() };
}

/** Its superuser (creates and drops the per-file databases). */
export function pgAdminSettings(config: Readonly<Config>): PgSettings {
  const password = readFileSync(join(config.paths.varDir, 'secrets', 'postgresql-superuser'), 'utf8').trim();
  return { ...config.storages.postgresql, user: 'postgres', password, database: 'postgres' };
}

/** The `HOMECORE_*` variables that point a core's configuration at `s` (an external server). */
export function pgEnv(s: PgSettings): Record<string, string> {
  return {
    HOMECORE_STORAGES__ENGINE: 'postgresql',
    HOMECORE_STORAGES__POSTGRESQL__HOST: s.host,
    HOMECORE_STORAGES__POSTGRESQL__PORT: String(s.port),
    HOMECORE_STORAGES__POSTGRESQL__DATABASE: s.database,
    HOMECORE_STORAGES__POSTGRESQL__USER: s.user,
    HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false',
    HOMECORE_STORAGES__POSTGRESQL__PASSWORD: JSON.stringify(s.password),
  };
}

/** A raw pool on `s`, for tests that look at the rows a store wrote. */
export function rawPool(s: PgSettings, max = 2): pg.Pool {
  return new pg.Pool({ host: s.host, port: s.port, database: s.database, user: s.user, password: s.password, max });
}

/** Every row of every table of the database on `s`, as text, one a line (FreshDatabase.storedText). */
export async function pgStoredText(s: PgSettings): Promise<string> {
  const c = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password, database: s.database });
  await c.connect();
  try {
    const tables = await c.query<{ schema: string; name: string }>(
      "SELECT schemaname AS schema, tablename AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    );
    const lines: string[] = [];
    for (const t of tables.rows) {
      const rows = await c.query<{ row: string }>(`SELECT r::text AS row FROM ${c.escapeIdentifier(t.schema)}.${c.escapeIdentifier(t.name)} r`);
      for (const r of rows.rows) lines.push(`${t.name} ${r.row}`);
    }
    return lines.join('\n');
  } finally {
    await c.end();
  }
}

/**
 * A fresh, empty database for one test file on the shared test server, owned by the app role;
 * dropped by `drop()`. `admin` = superuser settings.
 */
export async function createTestDatabase(app: PgSettings, admin: PgSettings): Promise<{ settings: PgSettings; drop: () => Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const base = admin;
  const c0 = new pg.Client({ host: base.host, port: base.port, user: base.user, password: base.password, database: base.database });
  await c0.connect();
  try {
    await c0.query(`CREATE DATABASE ${name} OWNER ${c0.escapeIdentifier(app.user)}`);
  } finally {
    await c0.end();
  }
  return {
    settings: { ...app, database: name },
    drop: async () => {
      const c = new pg.Client({ host: base.host, port: base.port, user: base.user, password: base.password, database: base.database });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
