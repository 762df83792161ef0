import { parseArgs } from 'node:util';
import { runMaster } from '../src/master/run-master.js';

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: true });
try {
  await runMaster({ configFile: values.config });
} catch (err) {
  console.error(`homecore master: ${(err as Error).message}`);
  process.exit(1);
}
