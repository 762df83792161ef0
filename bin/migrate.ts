import { parseArgs } from 'node:util';
import { runMigrate } from '../src/cli/migrate.js';
import { MIGRATE_USAGE } from '../src/cli/ha-usage.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/logger.js';
import { argsOrExit, wantsHelp } from '../src/cli/usage.js';

// Operator migrations for rolling upgrades (docs/operations.md#rolling-upgrade).
if (wantsHelp(process.argv.slice(2))) {
  console.log(MIGRATE_USAGE);
  process.exit(0);
}
const { values } = argsOrExit(
  () => parseArgs({ options: { config: { type: 'string', short: 'c' }, status: { type: 'boolean' } }, strict: true }),
  'migrate',
);
try {
  const config = loadConfig({ configFile: values.config });
  const logger = createLogger({ level: 'warn', role: 'migrate' });
  process.exit(await runMigrate(config, logger, values.status === true, (line) => console.log(line)));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migrate: ${(err as Error).message}`);
  process.exit(2);
}
