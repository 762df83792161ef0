import { parseArgs } from 'node:util';
import { argsOrExit, MASTER_USAGE, wantsHelp } from '../src/cli/usage.js';
import { runMaster } from '../src/master/run-master.js';

if (wantsHelp(process.argv.slice(2))) {
  console.log(MASTER_USAGE);
  process.exit(0);
}
const options = {
  config: { type: 'string', short: 'c' },
  bootstrap: { type: 'string' },
  'bootstrap-passphrase-file': { type: 'string' },
} as const;
const { values } = argsOrExit(() => parseArgs({ options, strict: true }), 'homecore master');
const bundle = values.bootstrap;
const passphraseFile = values['bootstrap-passphrase-file'];
if ((bundle === undefined) !== (passphraseFile === undefined)) {
  console.error('homecore master: --bootstrap and --bootstrap-passphrase-file go together');
  process.exit(2);
}
try {
  await runMaster({ configFile: values.config, bootstrap: bundle === undefined || passphraseFile === undefined ? undefined : { bundle, passphraseFile } });
} catch (err) {
  console.error(`homecore master: ${(err as Error).message}`);
  process.exit(1);
}
