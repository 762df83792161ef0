import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

let packageVersion: string | undefined;

/**
 * This release: package.json `version`, compared with a schema's `min_app_version` (rolling
 * upgrades) and written into backup manifests. The rolling-upgrade test makes one checkout act as
 * the next release through `TEST_HOMECORE_UPGRADE` = JSON `{appVersion, migration}`
 * (docs/testing.md#ha-test); it is not a HOMECORE_* variable, so never configuration.
 */
export function appVersion(): string {
  const raw = process.env['TEST_HOMECORE_UPGRADE'];
  const hooked = raw === undefined || raw === '' ? undefined : (JSON.parse(raw) as { appVersion?: string }).appVersion;
  if (hooked !== undefined) return hooked;
  packageVersion ??= (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return packageVersion;
}
