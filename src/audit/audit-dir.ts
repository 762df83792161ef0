import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/index.js';

/** `audit.dir`, null = `{varDir}/audit`; a relative path is relative to `varDir`. */
export function auditDirOf(config: Readonly<Config>): string {
  const dir = config.audit.dir;
  if (dir === null) return join(config.paths.varDir, 'audit');
  return isAbsolute(dir) ? dir : resolve(config.paths.varDir, dir);
}
