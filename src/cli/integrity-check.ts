import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { checkIntegrity, problemCount, type IntegrityReport } from '../backup/integrity.js';
import { openDataTools } from './data-tools.js';

export type { IntegrityReport };

/**
 * bin/integrity-check (docs/operations.md#integrity-check): event integrity, attached files, series
 * order and the platform mapping of this core's users (src/backup/integrity.ts). Read-only unless
 * `repair`. Exit code: 0 nothing wrong (or all repaired), 1 problems remain, 2 the check could not run.
 */
export async function runIntegrityCheck(config: Readonly<Config>, logger: Logger, out: (line: string) => void, options: { repair?: boolean } = {}): Promise<number> {
  const tools = openDataTools(config, logger);
  try {
    const report = await checkIntegrity(
      { coreId: config.core.id, users: tools.stores.users, userData: tools.stores.userData, rqlite: tools.rqlite, attachmentsDir: tools.attachmentsDir },
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
