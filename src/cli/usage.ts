/**
 * `--help` texts of the bin commands (issue #9): the usage and the configuration keys that matter
 * most. Every key, with its default and meaning, is in config/default.yml and docs/config.md.
 */
const CONFIG_SOURCES = `Configuration: config/default.yml, then the --config file (or env HOMECORE_CONFIG), then
HOMECORE_* env vars (HOMECORE_HTTP__API_PORT=3001 sets http.apiPort). Details: docs/config.md.`;

export const MASTER_USAGE = `Usage: bin/master [--config FILE] [--bootstrap BUNDLE --bootstrap-passphrase-file FILE]

Starts one homecore core: its embedded PostgreSQL and rqlited (unless configured external), then the
api, hfs and previews workers. SIGTERM drains and stops everything.

Options:
  -c, --config FILE                    override file, merged over config/default.yml
  --bootstrap BUNDLE                   join a platform with a bundle from 'bin/bootstrap.js new-core'
  --bootstrap-passphrase-file FILE     the bundle's passphrase (goes with --bootstrap)
  -h, --help                           this text

Keys that matter:
  core.id, core.url                    this core's identity and public URL
  platform.mode, platform.publicUrl    single | multi; the URL apps are given
  platform.dnsLess, platform.domain    path mode, or {username}.{domain} subdomains
  http.bindAddress, http.apiPort       where the API listens (hfsPort, previewsPort beside it)
  paths.varDir                         data: PostgreSQL, rqlite, secrets, attachments
  storages.postgresql.*                embedded (default) or an external server
  platformDb.rqlited.*                 the platform DB node (ports, join, TLS in multi mode)
  cluster.apiWorkers, cluster.hfsWorkers  worker processes per role

${CONFIG_SOURCES}`;

export const CHECK_CONFIG_USAGE = `Usage: bin/check-config [--config FILE]

Loads and validates the configuration as the master would, prints it (secrets redacted) on stdout
and "configuration OK" on stderr; exit 1 with every problem listed when it is invalid.

Options:
  -c, --config FILE    override file, merged over config/default.yml
  -h, --help           this text

${CONFIG_SOURCES}`;

export const INTEGRITY_CHECK_USAGE = `Usage: bin/integrity-check [--config FILE] [--repair]

Checks this core's data and prints a JSON report: the \`integrity\` of every stored event, every
attached file (present, same size and SHA-256), series points in order, the platform mapping of
this core's users, and files no event references. Exit 0 when nothing is wrong, 1 when problems
remain, 2 on an error (docs/operations.md#integrity-check).

Options:
  -c, --config FILE    override file, merged over config/default.yml
  --repair             fix what is safe: map an unmapped user whose name nobody holds, remove
                       orphan files older than an hour; everything else is only reported
  -h, --help           this text

Keys that matter: storages.* (the database it reads), attachments.dir, {varDir}/secrets/keys.json (to unseal access tokens).

${CONFIG_SOURCES}`;

export const HEALTHCHECK_USAGE = `Usage: node dist/bin/healthcheck.js

Container liveness probe (the Dockerfile's HEALTHCHECK): exit 0 when GET /health on the API port
answers 2xx within 3 s, 1 otherwise.

Keys that matter (read from HOMECORE_CONFIG and HOMECORE_* env vars, not from --config):
  http.bindAddress, http.apiPort`;

/** True when the arguments ask for help. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** Parsed arguments, or exit 2 with the parser's message (an unknown option) and no stack trace. */
export function argsOrExit<T>(parse: () => T, command: string): T {
  try {
    return parse();
  } catch (err) {
    process.stderr.write(`${command}: ${(err as Error).message}\nTry --help.\n`);
    process.exit(2);
  }
}
