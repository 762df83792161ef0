import { parseArgs } from 'node:util';
import { logProgress, terminalProgress } from '../src/backup/progress.js';
import { runBackup } from '../src/cli/backup.js';
import { BACKUP_USAGE } from '../src/cli/backup-usage.js';
import { argsOrExit, wantsHelp } from '../src/cli/usage.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/logger.js';

// A verified, timestamped backup of this core (docs/operations.md#backups).
if (wantsHelp(process.argv.slice(2))) {
  console.log(BACKUP_USAGE);
  process.exit(0);
}
const options = {
  config: { type: 'string', short: 'c' }, user: { type: 'string' }, dir: { type: 'string' },
  'passphrase-file': { type: 'string' }, compress: { type: 'boolean' },
} as const;
const { values } = argsOrExit(() => parseArgs({ options, strict: true }), 'backup');
try {
  const config = loadConfig({ configFile: values.config });
  const logger = createLogger({ level: 'info', role: 'backup' });
  const progress = process.stderr.isTTY ? terminalProgress(process.stderr) : logProgress(logger);
  process.exit(await runBackup(config, logger, {
    user: values.user ?? null, dir: values.dir ?? null, passphraseFile: values['passphrase-file'] ?? null, compress: values.compress ?? null,
  }, progress));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `backup: ${(err as Error).message}`);
  process.exit(2);
}
