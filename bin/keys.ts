import { runKeysCli } from '../src/cli/keys/index.js';
import { readSecretLine } from '../src/cli/keys/prompt.js';

// Entry point of bin/keys (the bash launcher runs it on the project's Node 22): docs/operations.md#keys.
const code = await runKeysCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  readPassphrase: (prompt) => readSecretLine(process.stdin, process.stderr, prompt),
});
process.exit(code);
