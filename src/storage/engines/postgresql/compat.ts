import type pg from 'pg';
import { appVersion } from '../../../util/app-version.js';
import { PG_MIGRATIONS, type PgMigration } from './schema.js';

/**
 * Test-only hook (docs/testing.md#ha-test): `TEST_HOMECORE_UPGRADE` = JSON `{appVersion, migration}`
 * makes this tree behave as the next release (src/util/app-version.ts), with one more migration, so
 * the rolling-upgrade test runs two versions from one checkout. Not a HOMECORE_* variable: those are
 * configuration keys.
 */
interface UpgradeHook {
  migration?: PgMigration;
}

function upgradeHook(): UpgradeHook {
  const raw = process.env['TEST_HOMECORE_UPGRADE'];
  return raw === undefined || raw === '' ? {} : (JSON.parse(raw) as UpgradeHook);
}

export { appVersion };

/** The migrations this release knows. */
export function pgMigrations(): readonly PgMigration[] {
  const extra = upgradeHook().migration;
  return extra === undefined ? PG_MIGRATIONS : [...PG_MIGRATIONS, extra];
}

/** Compares dotted numeric versions ("0.10.2" > "0.9.9"); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): number[] => v.split(/[-+]/)[0]?.split('.').map((n) => Number(n) || 0) ?? [];
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The schema's min_app_version (null before migration 16). */
export async function readMinAppVersion(db: pg.Pool | pg.PoolClient): Promise<string | null> {
  const { rows } = await db.query<{ present: boolean }>(`SELECT to_regclass('schema_compat') IS NOT NULL AS present`);
  if (rows[0]?.present !== true) return null;
  const { rows: v } = await db.query<{ min: string }>('SELECT min_app_version AS min FROM schema_compat');
  return v[0]?.min ?? null;
}

/** Raises min_app_version to the migration's, inside the migration's transaction (migrate.ts). */
export async function raiseMinAppVersion(client: pg.PoolClient, m: PgMigration): Promise<void> {
  if (m.minAppVersion === undefined) return;
  const { rows } = await client.query<{ min: string }>('SELECT min_app_version AS min FROM schema_compat FOR UPDATE');
  const current = rows[0]?.min;
  if (current === undefined) throw new Error(`migration ${m.version} sets minAppVersion but schema_compat (migration 16) is missing`);
  if (compareVersions(m.minAppVersion, current) <= 0) return;
  await client.query('UPDATE schema_compat SET min_app_version = $1, raised_by = $2, updated_at = now()', [m.minAppVersion, `${m.version} ${m.name}`]);
}

/** Why this release cannot serve the database, or null when it can. */
export function incompatibility(schemaVersion: number, required: number, minAppVersion: string | null): string | null {
  if (schemaVersion < required) {
    return `schema version ${schemaVersion} < required ${required}: run bin/migrate (or start one core with migrations.autoRun: true)`;
  }
  if (minAppVersion !== null && compareVersions(appVersion(), minAppVersion) < 0) {
    return `this homecore ${appVersion()} cannot serve this database: its schema needs homecore ≥ ${minAppVersion} (a later release removed what this one uses). Upgrade this core (docs/operations.md#rolling-upgrade)`;
  }
  return null;
}
