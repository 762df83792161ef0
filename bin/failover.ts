import { parseArgs } from 'node:util';
import { runFailover } from '../src/cli/failover.js';
import { FAILOVER_USAGE } from '../src/cli/ha-usage.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { argsOrExit, wantsHelp } from '../src/cli/usage.js';

// Manual PostgreSQL failover: fence, promote, verify (docs/operations.md#postgresql-failover).
if (wantsHelp(process.argv.slice(2))) {
  console.log(FAILOVER_USAGE);
  process.exit(0);
}
const { values } = argsOrExit(
  () =>
    parseArgs({
      options: { promote: { type: 'string' }, 'former-primary': { type: 'string' }, ready: { type: 'string', multiple: true }, config: { type: 'string', short: 'c' } },
      strict: true,
    }),
  'failover',
);
try {
  if (values.promote === undefined) throw new Error('--promote HOST:PORT is required (try --help)');
  const hosts = values.config === undefined ? null : loadConfig({ configFile: values.config }).storages.postgresql.hosts;
  const options = { promote: values.promote, formerPrimary: values['former-primary'] ?? null, readyUrls: values.ready ?? [], hosts, readyTimeoutMs: 30_000 };
  process.exit(await runFailover(options, (line) => console.log(line)));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `failover: ${(err as Error).message}`);
  process.exit(2);
}
