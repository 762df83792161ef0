import { parseArgs } from 'node:util';
import { logProgress, terminalProgress } from '../src/backup/progress.js';
import { runRestore } from '../src/cli/restore.js';
import { RESTORE_USAGE } from '../src/cli/backup-usage.js';
import { argsOrExit, wantsHelp } from '../src/cli/usage.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/logger.js';

// Restores a verified backup into an empty core, or one absent user (docs/operations.md#restore).
if (wantsHelp(process.argv.slice(2))) {
  console.log(RESTORE_USAGE);
  process.exit(0);
}
const options = { config: { type: 'string', short: 'c' }, user: { type: 'string' }, 'passphrase-file': { type: 'string' } } as const;
const { values, positionals } = argsOrExit(() => parseArgs({ options, strict: true, allowPositionals: true }), 'restore');
const dir = positionals[0];
if (dir === undefined || positionals.length > 1) {
  console.error('restore: give exactly one backup directory\nTry --help.');
  process.exit(2);
}
try {
  const config = loadConfig({ configFile: values.config });
  const logger = createLogger({ level: 'info', role: 'restore' });
  const progress = process.stderr.isTTY ? terminalProgress(process.stderr) : logProgress(logger);
  process.exit(await runRestore(config, logger, { dir, user: values.user ?? null, passphraseFile: values['passphrase-file'] ?? null }, progress,
    (line) => console.error(line)));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `restore: ${(err as Error).message}`);
  process.exit(2);
}
