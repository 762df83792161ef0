import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../../config/index.js';
import type { PgSettings } from './database-password.js';

/** sun_path is 108 bytes on Linux, its NUL included. */
const MAX_SOCKET_PATH = 107;

/**
 * The embedded PostgreSQL over its Unix socket (issue #10): it listens on one in its data dir
 * (embedded-postgres.ts), and a query over it costs the worker less CPU than over loopback TCP
 * (docs/benchmarks.md). TCP stays when the server is external, when failover hosts are listed,
 * when the path is too long for a socket, or when this process may not reach the socket (a tool run
 * as another OS user): node-postgres takes a directory as `host` for a socket.
 * The choice may not depend on the server being up: the master forks its workers while the
 * embedded PostgreSQL starts, and a worker that found no socket yet stayed on TCP for its whole
 * life (seen in bench runs). So: the socket when it is there and this process may open it; when it
 * is not there yet, when this process may enter the data dir, or when the data dir is not made yet
 * (a first start: the master makes it for its own workers).
 */
export function viaLocalSocket(config: Readonly<Config>, settings: PgSettings): PgSettings {
  if (!settings.embedded || settings.hosts.length > 0) return settings;
  const dir = resolve(config.paths.varDir, 'postgresql');
  const socket = join(dir, `.s.PGSQL.${settings.port}`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) return settings;
  return reachable(existsSync(socket) ? socket : dir, existsSync(socket) ? constants.R_OK | constants.W_OK : constants.X_OK) ? { ...settings, host: dir } : settings;
}

function reachable(path: string, mode: number): boolean {
  if (!existsSync(path)) return true;
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
