import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { redactConfig } from '../src/config/redact.js';
import { argsOrExit, CHECK_CONFIG_USAGE, wantsHelp } from '../src/cli/usage.js';

if (wantsHelp(process.argv.slice(2))) {
  console.log(CHECK_CONFIG_USAGE);
  process.exit(0);
}
const { values } = argsOrExit(() => parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true }), 'check-config');
try {
  const config = loadConfig({ configFile: values.config });
  console.log(JSON.stringify(redactConfig(config), null, 2));
  console.error('configuration OK');
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `check-config: ${(err as Error).message}`);
  process.exit(1);
}
