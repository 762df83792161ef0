import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/index.js';
import { KeyRing, legacyKeySet, mergeKeySets, newKeySet, readKeySetFile, type KeySet } from './key-ring.js';

export interface CoreSecrets {
  adminAccessKey: string;
  /** The named keys (key-ring.ts), from {varDir}/secrets/keys.json. */
  keys: KeyRing;
}

export function secretFile(config: Readonly<Config>, name: string): string {
  return join(config.paths.varDir, 'secrets', name);
}

/** The key set: 0600 in a 0700 directory, never logged, in backups only when they are encrypted. */
export function keysFile(config: Readonly<Config>): string {
  return keysFileIn(config.paths.varDir);
}

export const keysFileIn = (varDir: string): string => join(varDir, 'secrets', 'keys.json');

export function readOrCreate(file: string, create: boolean): string {
  if (!existsSync(file)) {
    if (!create) throw new Error(`secret ${file} is missing (the master creates it at start)`);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    // 'wx': two processes racing never overwrite each other's secret.
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** Replaces the key file in one rename (readers see the old or the new set, never half of one). */
export function writeKeySetFile(file: string, set: KeySet): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${JSON.stringify(set, null, 1)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
}

/**
 * The key set of this core. At the first start after the upgrade from one `auth.tokenSecret` (config,
 * or the former {varDir}/secrets/token-secret file, which stays in place), the keys are derived from
 * it, so every token, MAC and sealed secret made before stays valid; a new core gets random keys.
 * Once the file exists it alone decides (`auth.tokenSecret` is then read by nothing).
 */
export function loadKeyRing(config: Readonly<Config>, options: { create: boolean }): KeyRing {
  const file = keysFile(config);
  if (!existsSync(file)) {
    if (!options.create) throw new Error(`key file ${file} is missing (the master creates it at start)`);
    const legacyFile = secretFile(config, 'token-secret');
    const former = config.auth.tokenSecret ?? (existsSync(legacyFile) ? readFileSync(legacyFile, 'utf8').trim() : null);
    const set = former === null ? newKeySet() : legacyKeySet(former);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // 'wx': two processes racing never overwrite each other's keys.
    try {
      writeFileSync(file, `${JSON.stringify(set, null, 1)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return KeyRing.fromFile(file);
}

/**
 * Secrets from config when set, else from {varDir}/secrets (0600), generated at first start by the
 * master (`create: true`); workers only read them.
 */
export function loadSecrets(config: Readonly<Config>, options: { create: boolean }): CoreSecrets {
  return {
    adminAccessKey: config.auth.adminAccessKey ?? readOrCreate(secretFile(config, 'admin-access-key'), options.create),
    keys: loadKeyRing(config, options),
  };
}

/** Adds `incoming` to the var dir's key set (its current keys become current): bootstrap bundles, `bin/keys import`. */
export function installKeySet(varDir: string, incoming: KeySet): KeySet {
  const file = keysFileIn(varDir);
  const merged = mergeKeySets(existsSync(file) ? readKeySetFile(file) : null, incoming);
  writeKeySetFile(file, merged);
  return merged;
}
