import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createEngine } from '../storage/engine-registry.js';
import { appVersion } from '../util/app-version.js';

/** bin/migrate: exit 0 migrated (or, with status, servable), 1 this release cannot serve the database. */
export async function runMigrate(config: Readonly<Config>, logger: Logger, status: boolean, out: (line: string) => void): Promise<number> {
  const engine = await createEngine(config, logger, { poolSize: 1 });
  try {
    if (!status) out(JSON.stringify({ applied: await engine.migrate() }));
    const why = await engine.incompatibility();
    out(
      JSON.stringify(
        {
          schemaVersion: await engine.schemaVersion(),
          requiredSchemaVersion: engine.requiredSchemaVersion,
          minAppVersion: await engine.minAppVersion(),
          appVersion: appVersion(),
          servable: why === null,
          ...(why === null ? {} : { reason: why }),
        },
        null,
        2,
      ),
    );
    return why === null ? 0 : 1;
  } finally {
    await engine.close();
  }
}
