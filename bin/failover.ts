import { parseArgs } from 'node:util';
import { loadEngine } from '../src/storage/engine-registry.js';
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
  const config = values.config === undefined ? loadConfig() : loadConfig({ configFile: values.config });
  const engine = await loadEngine(config.storages.engine);
  if (engine.failover === undefined) throw new Error(`storages.engine ${engine.name} has no manual failover procedure`);
  const hosts = values.config === undefined ? null : config.storages.postgresql.hosts;
  const options = { promote: values.promote, formerPrimary: values['former-primary'] ?? null, readyUrls: values.ready ?? [], hosts, readyTimeoutMs: 30_000 };
  process.exit(await engine.failover(options, (line) => console.log(line)));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `failover: ${(err as Error).message}`);
  process.exit(2);
}
