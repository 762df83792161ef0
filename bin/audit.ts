import { parseArgs } from 'node:util';
import { AUDIT_USAGE, runAuditCli } from '../src/cli/audit.js';
import { argsOrExit, wantsHelp } from '../src/cli/usage.js';
import { ConfigError, loadConfig } from '../src/config/index.js';

// Reads the audit trail for operators (docs/operations.md#reading-the-audit-trail).
if (wantsHelp(process.argv.slice(2))) {
  console.log(AUDIT_USAGE);
  process.exit(0);
}
const options = {
  config: { type: 'string', short: 'c' },
  user: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  access: { type: 'string' },
  method: { type: 'string' },
  dir: { type: 'string' },
} as const;
const { values } = argsOrExit(() => parseArgs({ options, strict: true }), 'audit');
try {
  const config = loadConfig({ configFile: values.config });
  await runAuditCli(config, values, (line) => console.log(line));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `audit: ${(err as Error).message}`);
  process.exit(2);
}
