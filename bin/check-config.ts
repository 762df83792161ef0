import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { redactConfig } from '../src/config/redact.js';

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true });
try {
  const config = loadConfig({ configFile: values.config });
  console.log(JSON.stringify(redactConfig(config), null, 2));
  console.error('configuration OK');
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `check-config: ${(err as Error).message}`);
  process.exit(1);
}
