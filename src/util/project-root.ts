import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The repository / install root, found by walking up from this file. Code runs both from `src/`
 * (tests, through vitest) and from `dist/src/` (production), so a fixed `../..` would be wrong in one.
 */
export function projectRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.yml'))) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('homecore: cannot find the project root (config/default.yml)');
    dir = parent;
  }
}
