import { parseArgs } from 'node:util';
import { runIntegrityCheck } from '../src/cli/integrity-check.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/logger.js';
import { argsOrExit, INTEGRITY_CHECK_USAGE, wantsHelp } from '../src/cli/usage.js';

// Recomputes every stored event's `integrity` and lists the mismatches (docs/operations.md).
if (wantsHelp(process.argv.slice(2))) {
  console.log(INTEGRITY_CHECK_USAGE);
  process.exit(0);
}
const { values } = argsOrExit(() => parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true }), 'integrity-check');
try {
  const config = loadConfig({ configFile: values.config });
  const logger = createLogger({ level: 'warn', role: 'integrity-check' });
  process.exit(await runIntegrityCheck(config, logger, (line) => console.log(line)));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `integrity-check: ${(err as Error).message}`);
  process.exit(2);
}
