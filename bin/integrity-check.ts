import { parseArgs } from 'node:util';
import { runIntegrityCheck } from '../src/cli/integrity-check.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/logger.js';
import { argsOrExit, INTEGRITY_CHECK_USAGE, wantsHelp } from '../src/cli/usage.js';

// Events, attachments, series and the platform mapping of this core (docs/operations.md#integrity-check).
if (wantsHelp(process.argv.slice(2))) {
  console.log(INTEGRITY_CHECK_USAGE);
  process.exit(0);
}
const { values } = argsOrExit(() => parseArgs({ options: { config: { type: 'string', short: 'c' }, repair: { type: 'boolean' } }, strict: true }), 'integrity-check');
try {
  const config = loadConfig({ configFile: values.config });
  const logger = createLogger({ level: 'warn', role: 'integrity-check' });
  process.exit(await runIntegrityCheck(config, logger, (line) => console.log(line), { repair: values.repair === true }));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `integrity-check: ${(err as Error).message}`);
  process.exit(2);
}
