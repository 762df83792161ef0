import type { Config } from '../config/index.js';
import { toVersionDoc } from '../api/accesses/shared.js';
import { TokenVault } from '../auth/crypto.js';
import { checkAccessIntegrity } from '../domain/integrity.js';
import type { Logger } from '../logging/logger.js';
import { loadSecrets } from '../secrets/core-secrets.js';
import type { StoredAccess } from '../storage/interfaces/accesses-store.js';
import { checkIntegrity, problemCount, type IntegrityReport } from '../backup/integrity.js';
import { openDataTools } from './data-tools.js';

export type { IntegrityReport };

/**
 * An access's stored integrity against its API form with its token: the hash covers the token, so
 * it is unsealed with the core's keys; a token no key unseals counts as a mismatch.
 */
function accessMatches(vault: TokenVault, access: StoredAccess): boolean {
  const { integrity, ...doc } = toVersionDoc(access);
  let token: string;
  try {
    token = vault.decrypt(access.tokenSealed);
  } catch {
    return false;
  }
  return integrity !== undefined && checkAccessIntegrity({ ...doc, token }, integrity);
}

/**
 * bin/integrity-check (docs/operations.md#integrity-check): event integrity, attached files, series
 * order and the platform mapping of this core's users (src/backup/integrity.ts). Read-only unless
 * `repair`. Exit code: 0 nothing wrong (or all repaired), 1 problems remain, 2 the check could not run.
 */
export async function runIntegrityCheck(config: Readonly<Config>, logger: Logger, out: (line: string) => void, options: { repair?: boolean } = {}): Promise<number> {
  const tools = await openDataTools(config, logger);
  try {
    const vault = new TokenVault(loadSecrets(config, { create: false }).keys);
    const report = await checkIntegrity(
      { coreId: config.core.id, users: tools.stores.users, userData: tools.stores.userData, rqlite: tools.rqlite, attachmentsDir: tools.attachmentsDir, checkAccess: (a) => accessMatches(vault, a) },
      options.repair === true,
    );
    out(JSON.stringify(report, null, 2));
    return problemCount(report) === 0 ? 0 : 1;
  } catch (err) {
    out(JSON.stringify({ error: (err as Error).message }));
    return 2;
  } finally {
    await tools.close();
  }
}
