import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostOf } from '../../config/multi-rules.js';
import { newPassphrase, sealBundle, type BundlePayload } from '../../cluster/bundle.js';
import { certInfo, issueCoreCertificate } from '../../cluster/pki.js';
import { ClusterRepository } from '../../platform/cluster-repo.js';
import { CoresRepository } from '../../platform/cores.js';
import { loadRqliteCredential } from '../../secrets/rqlite-auth.js';
import { loadKeyRing } from '../../secrets/core-secrets.js';
import {
  checkIdentity, CliError, config, int, loadCa, platformClient, raftAddressFor, required, requireMulti, str, type Io, type Values,
} from './context.js';

export const NEW_CORE_HELP = `bin/bootstrap.js new-core --id <core-id> --url <https://…/> --ip <ip> --hosting <key> [options]

Run on a core holding the cluster CA. Issues the new core's certificate, mints a one-time join token
(stored hashed, expiring), pre-registers the core as unavailable and writes a bundle sealed with a
generated passphrase, printed once. On the new machine:
  bin/start --bootstrap <bundle> --bootstrap-passphrase-file <file holding the passphrase>
It joins as a non-voter; see promote-core.

  --id <id>                the new core's id
  --url <url>              its public URL, slash-terminated
  --ip <ip>                its public IP
  --hosting <key>          its hosting
  --zone <zone>            its zone (default: the issuing core's registration.zone)
  --region <region>        its zone's region (default: the issuing core's registration.region)
  --hosting-name <name>    the hosting's display name in /reg/hostings (default: the issuing
                           core's registration.hostingName for its own hosting, else the key)
  --raft-address <h:p>     Raft address other cores will dial (default <ip>:<this core's Raft port>)
  --out <file>             bundle file (default ./<id>.bundle)
  --passphrase-file <f>    write the passphrase to this new file (0600) instead of printing it
  --ttl-hours <n>          join token lifetime (default 24)
  --cert-days <n>          certificate validity (default 365)
  -c, --config <file>      this (issuing) core's config file`;

export async function newCore(values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  requireMulti(cfg);
  const id = required(values, 'id');
  const url = required(values, 'url');
  const ip = required(values, 'ip');
  const hosting = required(values, 'hosting');
  checkIdentity(id, url, ip);
  const reg = cfg.registration;
  const place = {
    zone: str(values, 'zone') ?? reg.zone,
    region: str(values, 'region') ?? reg.region,
    hostingName: str(values, 'hosting-name') ?? (hosting === reg.hosting ? reg.hostingName : hosting),
  };
  const raftAddress = raftAddressFor(values, ip, cfg.platformDb.rqlited.raftAddress.split(':').pop() ?? '4002');
  const out = resolve(str(values, 'out') ?? `${id}.bundle`);
  const ttlMs = int(values, 'ttl-hours', 24) * 3_600_000;
  const ca = loadCa(cfg);
  const domain = cfg.platform.domain ?? '';
  const client = platformClient(cfg);
  try {
    const repo = new ClusterRepository(client);
    const existing = await new CoresRepository(client).get(id);
    if (existing?.available === true) throw new CliError(`core ${id} is already registered and available`);
    const nodes = await repo.list();
    const clash = nodes.find((n) => n.coreId !== id && n.raftAddress === raftAddress);
    if (clash !== undefined) throw new CliError(`Raft address ${raftAddress} is already used by ${clash.coreId}`);
    const join = nodes.filter((n) => n.coreId !== id).map((n) => n.raftAddress);
    if (join.length === 0) throw new CliError('no cluster member is registered yet: start this core in multi mode first');

    const cert = await issueCoreCertificate(ca, { id, domain, ip, extraIps: [hostOf(raftAddress)] }, int(values, 'cert-days', 365));
    const info = await certInfo(cert.cert);
    const token = randomBytes(32).toString('base64url');
    const payload: BundlePayload = {
      v: 1,
      kind: 'join',
      core: { id, url, ip, hosting, raftAddress, ...place },
      issuer: { id: cfg.core.id, url: cfg.core.url ?? cfg.platform.publicUrl },
      token,
      expiresAt: Date.now() + ttlMs,
      tls: { ca: ca.cert, cert: cert.cert, key: cert.key },
      join,
      rqlitePassword: loadRqliteCredential(cfg, { create: false }).password,
      // The platform's key set: tokens, sealed secrets and MACs made on any core verify on this one.
      keys: loadKeyRing(cfg, { create: false }).snapshot(),
      config: {
        platform: { dnsLess: cfg.platform.dnsLess, domain: cfg.platform.domain, publicUrl: cfg.platform.publicUrl },
        service: { ...cfg.service },
      },
    };
    const passphrase = newPassphrase();
    const sealed = sealBundle(payload, passphrase);
    const passFile = str(values, 'passphrase-file');
    // Written before the token exists in the DB: a refused file leaves nothing registered.
    writeFileSync(out, sealed, { mode: 0o600, flag: 'wx' });
    if (passFile !== undefined) writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await repo.preRegister({ id, url, hosting, ...place, ip, raftAddress, certSha256: info.sha256, certExpiresAt: info.notAfter.getTime() }, token, cfg.core.id, ttlMs);
    } catch (err) {
      rmSync(out, { force: true });
      if (passFile !== undefined) rmSync(passFile, { force: true });
      throw err;
    }
    io.out(`${id} pre-registered (unavailable until it joins); certificate valid until ${info.notAfter.toISOString()}`);
    io.out(`bundle: ${out} (join token expires ${new Date(payload.expiresAt).toISOString()})`);
    if (passFile !== undefined) io.out(`passphrase written to ${resolve(passFile)} (0600)`);
    else io.out(`passphrase (shown once, not stored anywhere): ${passphrase}`);
    io.out(`on the new machine: bin/start --bootstrap ${out} --bootstrap-passphrase-file <file holding the passphrase>`);
  } finally {
    await client.close();
  }
}
