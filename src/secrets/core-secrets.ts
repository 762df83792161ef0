import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';

export interface CoreSecrets {
  adminAccessKey: string;
  tokenSecret: string;
}

export function secretFile(config: Readonly<Config>, name: string): string {
  return join(config.paths.varDir, 'secrets', name);
}

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

/**
 * Secrets from config when set, else from {varDir}/secrets (0600), generated at first start by the
 * master (`create: true`); workers only read them.
 */
export function loadSecrets(config: Readonly<Config>, options: { create: boolean }): CoreSecrets {
  return {
    adminAccessKey: config.auth.adminAccessKey ?? readOrCreate(secretFile(config, 'admin-access-key'), options.create),
    tokenSecret: config.auth.tokenSecret ?? readOrCreate(secretFile(config, 'token-secret'), options.create),
  };
}
