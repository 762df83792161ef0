import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/index.js';

/** The user every process of every core talks to rqlited as (and joins the cluster as). */
export const RQLITE_USER = 'homecore';

export interface RqliteCredential {
  username: string;
  password: string;
}

/**
 * rqlited's `-auth` file: plaintext (rqlite v8 has no hashed passwords), hence 0600 (issue #16, hole 5).
 * Multi mode: the platform-wide copy beside the core's certificate ({varDir}/cluster, see cluster/files.ts).
 */
export function rqliteAuthFile(config: Readonly<Config>): string {
  const dir = config.platform.mode === 'multi' ? 'cluster' : 'secrets';
  return join(config.paths.varDir, dir, 'rqlite-auth.json');
}

export function authFileContent(password: string): string {
  return `${JSON.stringify([{ username: RQLITE_USER, password, perms: ['all'] }], null, 2)}\n`;
}

/** Writes the credential file unless it exists ('wx': never overwrite a running cluster's secret). */
export function writeRqliteAuth(file: string, password: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, authFileContent(password), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * The rqlite credential, generated at first start by the master (`create: true`). In multi mode it is
 * platform-wide (a follower forwards a write with its caller's credential, the leader checks it), so
 * a new core receives it in its bootstrap bundle instead.
 */
export function loadRqliteCredential(config: Readonly<Config>, options: { create: boolean }): RqliteCredential {
  const file = rqliteAuthFile(config);
  if (!existsSync(file)) {
    if (!options.create) throw new Error(`rqlite credential ${file} is missing (the master creates it at start)`);
    writeRqliteAuth(file, randomBytes(24).toString('base64url'));
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const entry = Array.isArray(parsed) ? (parsed[0] as { username?: unknown; password?: unknown } | undefined) : undefined;
  if (typeof entry?.username !== 'string' || typeof entry.password !== 'string') throw new Error(`${file}: not an rqlite credential file`);
  return { username: entry.username, password: entry.password };
}
