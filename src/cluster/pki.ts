import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/**
 * The cluster CA and the core certificates (EC P-256). A core certificate is both a TLS server and a
 * TLS client certificate: every rqlited dials its peers and is dialled by them on the Raft port
 * (notes/tooling.md §12), and the core's own processes present it to their local rqlite HTTP API.
 */
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Pem {
  cert: string;
  key: string;
}

export interface CoreIdentity {
  id: string;
  domain: string;
  ip: string;
  /** Further IPs the core is dialled on (e.g. a Raft address that differs from core.ip). */
  extraIps?: string[];
}

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
}

export async function createCa(name: string, days = 3650): Promise<Pem> {
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

export function subjectAltNames(core: CoreIdentity): { type: 'dns' | 'ip'; value: string }[] {
  const ips = [...new Set([core.ip, ...(core.extraIps ?? [])])].filter((ip) => isIP(ip) !== 0);
  return [
    { type: 'dns', value: core.id },
    { type: 'dns', value: `${core.id}.${core.domain}` },
    ...ips.map((value) => ({ type: 'ip' as const, value })),
  ];
}

/** A core certificate signed by the CA: CN and SANs name the core (id, `{id}.{domain}`, its IPs). */
export async function issueCoreCertificate(ca: Pem, core: CoreIdentity, days = 365): Promise<Pem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${core.id}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.key),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(Math.min(now + days * DAY_MS, caCert.notAfter.getTime())),
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(core)),
      await x509.AuthorityKeyIdentifierExtension.create(await caCert.publicKey.export(ALG, ['verify'])),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

export interface CertInfo {
  subject: string;
  notAfter: Date;
  sha256: string;
}

export async function certInfo(pem: string): Promise<CertInfo> {
  const cert = new x509.X509Certificate(pem);
  const thumb = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
  return { subject: cert.subject, notAfter: cert.notAfter, sha256: thumb };
}
