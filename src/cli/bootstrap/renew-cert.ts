import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostOf, raftAdvertisedAddress } from '../../config/multi-rules.js';
import { BundleError, newPassphrase, openBundle, sealBundle, type CertificatePayload } from '../../cluster/bundle.js';
import { clusterFiles, replaceFile } from '../../cluster/files.js';
import { certInfo, issueCoreCertificate } from '../../cluster/pki.js';
import { ClusterRepository } from '../../platform/cluster-repo.js';
import { CliError, config, int, loadCa, platformClient, required, requireMulti, str, type Io, type Values } from './context.js';

export const RENEW_CERT_HELP = `bin/bootstrap.js renew-cert [--id <core-id> --out <file>] [--cert-days <n>] [-c <config>]
bin/bootstrap.js renew-cert --apply <file> --passphrase-file <f> [-c <config>]

On the core holding the cluster CA: without --id, renews this core's own certificate in place
(rqlited reloads it; restart the core within the old certificate's lifetime so every process uses
the new one). With --id, issues a new certificate for that core into a sealed file, passphrase
printed once (or written with --passphrase-file); install it on that core with --apply.`;

async function install(values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  requireMulti(cfg);
  const file = required(values, 'apply');
  const passFile = required(values, 'passphrase-file');
  let payload: CertificatePayload;
  try {
    payload = openBundle(readFileSync(file, 'utf8'), readFileSync(passFile, 'utf8').trim(), 'certificate');
  } catch (err) {
    throw new CliError(err instanceof BundleError ? err.message : (err as Error).message);
  }
  if (payload.core.id !== cfg.core.id) throw new CliError(`this certificate is for ${payload.core.id}, not for this core (${cfg.core.id})`);
  if (payload.expiresAt < Date.now()) throw new CliError('this certificate file has expired: issue a new one');
  const f = clusterFiles(cfg.paths.varDir);
  replaceFile(f.key, payload.tls.key);
  replaceFile(f.cert, payload.tls.cert);
  const info = await certInfo(payload.tls.cert);
  io.out(`${cfg.core.id}: new certificate installed, valid until ${info.notAfter.toISOString()}; restart the core to use it everywhere`);
}

export async function renewCert(values: Values, io: Io): Promise<void> {
  if (str(values, 'apply') !== undefined) return install(values, io);
  const cfg = config(values);
  requireMulti(cfg);
  const ca = loadCa(cfg);
  const id = str(values, 'id') ?? cfg.core.id;
  const days = int(values, 'cert-days', 365);
  const client = platformClient(cfg);
  try {
    const repo = new ClusterRepository(client);
    const node = await repo.get(id);
    if (node === null) throw new CliError(`unknown core ${id}`);
    const self = id === cfg.core.id;
    const ip = self ? (cfg.core.ip ?? node.ip) : node.ip;
    const raft = self ? raftAdvertisedAddress(cfg) : node.raftAddress;
    const cert = await issueCoreCertificate(ca, { id, domain: cfg.platform.domain ?? '', ip, extraIps: [hostOf(raft)] }, days);
    const info = await certInfo(cert.cert);
    if (self) {
      const f = clusterFiles(cfg.paths.varDir);
      replaceFile(f.key, cert.key);
      replaceFile(f.cert, cert.cert);
      io.out(`${id}: certificate renewed in place, valid until ${info.notAfter.toISOString()}`);
    } else {
      const out = resolve(required(values, 'out'));
      const payload: CertificatePayload = { v: 1, kind: 'certificate', core: { id }, expiresAt: Date.now() + 7 * 86_400_000, tls: cert };
      const passphrase = newPassphrase();
      writeFileSync(out, sealBundle(payload, passphrase), { mode: 0o600, flag: 'wx' });
      const passFile = str(values, 'passphrase-file');
      if (passFile !== undefined) writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600, flag: 'wx' });
      io.out(`${id}: new certificate sealed in ${out}, valid until ${info.notAfter.toISOString()}`);
      io.out(passFile === undefined ? `passphrase (shown once): ${passphrase}` : `passphrase written to ${resolve(passFile)} (0600)`);
      io.out(`on ${id}: bin/bootstrap.js renew-cert --apply <file> --passphrase-file <f>`);
    }
    await repo.recordCertificate(id, info.sha256, info.notAfter.getTime());
  } finally {
    await client.close();
  }
}
