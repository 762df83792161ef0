import { runBootstrapCli } from '../src/cli/bootstrap/index.js';

// Entry point of bin/bootstrap.js (the launcher that picks the project's Node 22).
const code = await runBootstrapCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
process.exit(code);
