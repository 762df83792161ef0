import { HEALTHCHECK_USAGE, wantsHelp } from '../src/cli/usage.js';
import { healthTarget, healthUrl, probe } from '../src/health/probe.js';

/**
 * Container liveness probe (Dockerfile HEALTHCHECK): exit 0 if /health answers 2xx, 1 otherwise.
 * Reads the port and address from HOMECORE_CONFIG and HOMECORE_HTTP__* (not from --config).
 */
if (wantsHelp(process.argv.slice(2))) {
  console.log(HEALTHCHECK_USAGE);
  process.exit(0);
}
try {
  const url = healthUrl(healthTarget());
  const ok = await probe(url, 3000);
  if (!ok) console.error(`healthcheck: ${url} did not answer 2xx`);
  process.exit(ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${(err as Error).message}`);
  process.exit(1);
}
