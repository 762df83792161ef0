import { parseArgs } from 'node:util';
import { runMaster } from '../src/master/run-master.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c' },
    bootstrap: { type: 'string' },
    'bootstrap-passphrase-file': { type: 'string' },
  },
  strict: true,
});
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
