import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostOf } from '../../config/multi-rules.js';
import { newPassphrase, sealBundle, type BundlePayload } from '../../cluster/bundle.js';
import { members } from '../../cluster/membership.js';
import { certInfo, issueCoreCertificate } from '../../cluster/pki.js';
import { ClusterRepository } from '../../platform/cluster-repo.js';
import { CoresRepository } from '../../platform/cores.js';
import { loadRqliteCredential } from '../../secrets/rqlite-auth.js';
import { loadKeyRing } from '../../secrets/core-secrets.js';
import { CliError, config, int, loadCa, platformClient, raftAddressFor, required, requireMulti, str, type Io, type Values } from './context.js';

export const NEW_CLONE_HELP = `bin/bootstrap.js new-clone --clone-id <id> --raft-address <h:p> [--id <core-id>] [options]

Run on a core holding the cluster CA. Issues a certificate for a further clone of a running core
(same core id, IP and URL; its own Raft address), and writes a bundle sealed with a generated
passphrase, printed once. On the clone's machine (its own config: ports, the core's PostgreSQL,
attachments directory):
  bin/start --bootstrap <bundle> --bootstrap-passphrase-file <file holding the passphrase>
Its rqlited joins the platform's cluster as a non-voter with node id <core-id>.<clone-id>.

  --clone-id <id>          the clone's core.cloneId (unique within its core)
  --raft-address <h:p>     the clone's Raft address, which the other nodes dial (in its certificate)
  --id <core-id>           the core it is a clone of (default: this core)
  --out <file>             bundle file (default ./<core-id>.<clone-id>.bundle)
  --passphrase-file <f>    write the passphrase to this new file (0600) instead of printing it
  --ttl-hours <n>          bundle lifetime (default 24)
  --cert-days <n>          certificate validity (default 365)
  -c, --config <file>      this (issuing) core's config file`;

export async function newClone(values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  requireMulti(cfg);
  const cloneId = required(values, 'clone-id');
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(cloneId)) throw new CliError(`--clone-id "${cloneId}": lowercase letters, digits and dashes, at most 31`);
  const id = str(values, 'id') ?? cfg.core.id;
  const raftAddress = raftAddressFor(values, required(values, 'raft-address'), '');
  const nodeId = `${id}.${cloneId}`;
  const out = resolve(str(values, 'out') ?? `${nodeId}.bundle`);
  const ca = loadCa(cfg);
  const client = platformClient(cfg);
  try {
    const core = await new CoresRepository(client).get(id);
    const node = await new ClusterRepository(client).get(id);
    if (core === null || node === null) throw new CliError(`unknown core ${id}: add it with new-core first`);
    if (!core.available) throw new CliError(`core ${id} is not available: start its first clone (and let it join) first`);
    const all = await members(client);
    const clash = all.find((m) => m.addr === raftAddress && m.id !== nodeId);
    if (clash !== undefined) throw new CliError(`Raft address ${raftAddress} is already used by ${clash.id}`);
    if (all.some((m) => m.id === nodeId && m.reachable)) throw new CliError(`${nodeId} is a reachable cluster member: stop it first, or pick another --clone-id`);
    const join = [...new Set(all.map((m) => m.addr).filter((a) => a !== raftAddress))];
    if (join.length === 0) throw new CliError('no cluster member answers: is this core in the cluster?');

    // The core's names and IP, plus the clone's Raft host: peers dialling the clone check that IP.
    const cert = await issueCoreCertificate(ca, { id, domain: cfg.platform.domain ?? '', ip: node.ip, extraIps: [hostOf(raftAddress)] }, int(values, 'cert-days', 365));
    const info = await certInfo(cert.cert);
    const payload: BundlePayload = {
      v: 1,
      kind: 'join',
      core: { id, url: core.url, ip: node.ip, hosting: core.hosting, zone: core.zone, region: core.region, hostingName: core.hostingName, raftAddress },
      issuer: { id: cfg.core.id, url: cfg.core.url ?? cfg.platform.publicUrl },
      token: '',
      expiresAt: Date.now() + int(values, 'ttl-hours', 24) * 3_600_000,
      tls: { ca: ca.cert, cert: cert.cert, key: cert.key },
      join,
      rqlitePassword: loadRqliteCredential(cfg, { create: false }).password,
      keys: loadKeyRing(cfg, { create: false }).snapshot(),
      config: {
        platform: { dnsLess: cfg.platform.dnsLess, domain: cfg.platform.domain, publicUrl: cfg.platform.publicUrl },
        service: { ...cfg.service },
      },
      cloneId,
    };
    const passphrase = newPassphrase();
    writeFileSync(out, sealBundle(payload, passphrase), { mode: 0o600, flag: 'wx' });
    const passFile = str(values, 'passphrase-file');
    if (passFile !== undefined) writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600, flag: 'wx' });
    io.out(`clone ${nodeId} (Raft ${raftAddress}): certificate valid until ${info.notAfter.toISOString()}`);
    io.out(`bundle: ${out} (expires ${new Date(payload.expiresAt).toISOString()})`);
    io.out(passFile === undefined ? `passphrase (shown once, not stored anywhere): ${passphrase}` : `passphrase written to ${resolve(passFile)} (0600)`);
    io.out(`on the clone's machine: bin/start --bootstrap ${out} --bootstrap-passphrase-file <file holding the passphrase>`);
  } finally {
    await client.close();
  }
}
