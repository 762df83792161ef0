import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../config/index.js';
import { peekVarDir } from '../../config/load.js';
import { hostOf } from '../../config/multi-rules.js';
import { clusterFiles, coreYaml, writeDirAtomically } from '../../cluster/files.js';
import { certInfo, issueCoreCertificate } from '../../cluster/pki.js';
import { authFileContent } from '../../secrets/rqlite-auth.js';
import { ensureCa } from './ca.js';
import { checkIdentity, CliError, int, raftAddressFor, required, str, type Io, type Values } from './context.js';

export const INIT_HELP = `bin/bootstrap.js init --id <core-id> --url <https://…/> --ip <ip> --domain <domain> [options]

Makes this core the first core of a multi-core platform: creates the cluster CA (first use), issues
this core's certificate and writes {varDir}/cluster/ (certificate, key, rqlite credential, core.yml
with platform.mode: multi). Restart the core afterwards (bin/start). Run it once, on one core.

  --id <id>               this core's id (rqlite node id, DNS label; default core.id, which an
                          existing core must keep)
  --url <url>             this core's public URL, slash-terminated
  --ip <ip>               this core's public IP (certificate SAN, DNS)
  --domain <domain>       the platform's DNS domain (default: platform.domain)
  --hosting <key>         this core's hosting (default: registration.hosting)
  --zone <zone>           its zone (default: registration.zone)
  --region <region>       its zone's region (default: registration.region)
  --hosting-name <name>   the hosting's display name in /reg/hostings (default: registration.hostingName)
  --raft-address <h:p>    Raft address other cores dial (default: <ip>:<port of platformDb.rqlited.raftAddress>)
  --cert-days <n>         certificate validity (default 365)
  -c, --config <file>     this core's config file`;

function currentConfig(configFile: string | undefined): Readonly<Config> | null {
  try {
    return loadConfig({ configFile });
  } catch {
    return null;
  }
}

export async function init(values: Values, io: Io): Promise<void> {
  const configFile = str(values, 'config');
  const cfg = currentConfig(configFile);
  const varDir = cfg?.paths.varDir ?? peekVarDir({ configFile });
  const id = str(values, 'id') ?? cfg?.core.id ?? required(values, 'id');
  // The id is in this core's databases (users' home core, the PostgreSQL claim): it cannot change.
  if (cfg !== null && cfg.core.id !== id && existsSync(join(varDir, 'rqlite'))) {
    throw new CliError(`this core already runs as "${cfg.core.id}" and core ids cannot change: use --id ${cfg.core.id}`);
  }
  const url = required(values, 'url');
  const ip = required(values, 'ip');
  checkIdentity(id, url, ip);
  const domain = str(values, 'domain') ?? cfg?.platform.domain ?? null;
  if (domain === null) throw new CliError('--domain is required (platform.domain is not set)');
  const raftAddress = raftAddressFor(values, ip, cfg?.platformDb.rqlited.raftAddress.split(':').pop() ?? '4002');
  const files = clusterFiles(varDir);
  if (existsSync(files.dir)) throw new CliError(`${files.dir} exists: this core already has a cluster identity`);

  const ca = await ensureCa(varDir, domain, io);
  const cert = await issueCoreCertificate(ca, { id, domain, ip, extraIps: [hostOf(raftAddress)] }, int(values, 'cert-days', 365));
  // Keep the credential a single core already runs with: it becomes the platform-wide one.
  const single = join(varDir, 'secrets', 'rqlite-auth.json');
  const auth = existsSync(single) ? readFileSync(single, 'utf8') : authFileContent(randomBytes(24).toString('base64url'));
  writeDirAtomically(files.dir, {
    'ca.crt': ca.cert,
    'node.crt': cert.cert,
    'node.key': cert.key,
    'rqlite-auth.json': auth,
    'core.yml': coreYaml(varDir, {
      coreId: id, url, ip, raftAddress, join: [], nonVoter: false,
      hosting: str(values, 'hosting') ?? cfg?.registration.hosting ?? 'default',
      zone: str(values, 'zone') ?? null,
      region: str(values, 'region') ?? null,
      hostingName: str(values, 'hosting-name') ?? null,
      platform: { platform: { domain } },
    }),
  });
  const info = await certInfo(cert.cert);
  io.out(`${id}: certificate ${info.sha256.slice(0, 16)}… valid until ${info.notAfter.toISOString()}`);
  io.out(`cluster identity written to ${files.dir} (platform.mode: multi, Raft ${raftAddress})`);
  io.out('next: restart this core (bin/start), then add cores with: bin/bootstrap.js new-core --help');
}
