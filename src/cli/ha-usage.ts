/** --help of the operator commands of issue #13 (docs/operations.md). */

export const MIGRATE_USAGE = `Usage: bin/migrate [--config FILE] [--status]

Applies pending PostgreSQL (user-data) migrations once, under the same advisory lock the master
uses, then checks that this release can serve the schema. Run it from the new release before
upgrading clones that have migrations.autoRun: false (docs/operations.md#rolling-upgrade).
  --status   change nothing: print schema version, required version, min_app_version, pending
Exit 0 done (or servable), 1 this release cannot serve the database, 2 error.
Reads storages.postgresql (and HOMECORE_* env vars) like the master.`;

export const FAILOVER_USAGE = `Usage: bin/failover --promote HOST:PORT [--former-primary HOST:PORT] [--ready URL]... [--config FILE]

Manual PostgreSQL failover (docs/operations.md#postgresql-failover):
  1 fence    refuses while --former-primary still accepts writes (stop it first)
  2 promote  pg_promote() on the standby HOST:PORT (waits up to 60 s)
  3 verify   the new primary is writable; each --ready URL (a core, e.g. http://10.0.0.5:3000/)
             answers /ready 200 within 30 s. Cores need no change: their pool finds the new
             primary among storages.postgresql.hosts (checked against --config when given).
Superuser credentials come from PGUSER / PGPASSWORD (libpq variables). Exit 0 done, 1 refused or failed.`;
