import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../../config/index.js';
import { projectRoot } from '../../../util/project-root.js';
import type { MongoSettings } from './engine.js';

/**
 * The embedded MongoDB-wire server: FerretDB v1.24.2 (Apache-2.0, built by bin/install-ferretdb),
 * run by the master when `storages.engine: mongodb` names no `storages.mongodb.url`.
 *
 * Backend: SQLite (`--handler=sqlite`), one file per database under {varDir}/ferretdb. Chosen over
 * `--handler=postgresql` on the embedded PostgreSQL because the MongoDB engine then needs no
 * PostgreSQL at all: one sidecar instead of two, no initdb, no second set of credentials, and the
 * mongodb engine stays what it says (an operator choosing it does not also run PostgreSQL). FerretDB
 * offers no multi-document transactions on either backend, so PostgreSQL would add no guarantee.
 * Listens on 127.0.0.1 only; its debug/metrics listener too (an explicit port, never its default
 * 8088); telemetry off.
 */
export function ferretdbDataDir(config: Readonly<Config>): string {
  return join(config.paths.varDir, 'ferretdb');
}

export function resolveFerretdb(config: Readonly<Config>): string {
  const path = config.storages.mongodb.ferretdb.binary ?? join(projectRoot(), '.tools', 'ferretdb', 'ferretdb');
  if (!existsSync(path)) throw new Error(`ferretdb not found at ${path}: run bin/install-ferretdb (or set storages.mongodb.ferretdb.binary)`);
  return path;
}

export function ferretdbArgs(config: Readonly<Config>): string[] {
  const f = config.storages.mongodb.ferretdb;
  const dir = ferretdbDataDir(config);
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/data/`,
    `--state-dir=${dir}`,
    `--listen-addr=127.0.0.1:${f.port}`,
    `--debug-addr=127.0.0.1:${f.debugPort}`,
    '--telemetry=disable',
    '--log-level=warn',
    '--log-format=text',
  ];
}

/** Where the engine connects: the configured server, or the embedded FerretDB. */
export function mongoSettings(config: Readonly<Config>, options: { poolSize?: number } = {}): MongoSettings {
  const m = config.storages.mongodb;
  return {
    url: m.url ?? `mongodb://127.0.0.1:${m.ferretdb.port}/`,
    database: m.database,
    poolSize: options.poolSize ?? m.poolSize,
    connectTimeoutMs: m.connectTimeoutMs,
  };
}
