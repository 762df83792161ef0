import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'undici';
import { authFileContent } from '../secrets/rqlite-auth.js';
import { installKeySet } from '../secrets/core-secrets.js';
import { parseKeySet } from '../secrets/key-ring.js';
import { openBundle, BundleError, type BundlePayload } from './bundle.js';
import { clusterFiles, coreYaml, writeDirAtomically } from './files.js';

/** A refused bootstrap, reported as one line; nothing was written. */
export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

interface PendingAck {
  coreId: string;
  token: string;
  issuerUrl: string;
}

/** POSTs `{coreId, token}` to the issuing core; returns the parsed answer or throws a one-line error. */
async function callIssuer(issuerUrl: string, route: 'check' | 'ack', coreId: string, token: string): Promise<Record<string, unknown>> {
  const url = new URL(`system/cluster/${route}`, issuerUrl);
  let status: number;
  let body: { error?: { message?: string }; [k: string]: unknown };
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ coreId, token }),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    status = res.statusCode;
    body = (await res.body.json().catch(() => ({}))) as typeof body;
  } catch (err) {
    throw new BootstrapError(`issuing core ${url.origin} unreachable: ${(err as Error).message}`);
  }
  if (status !== 200) throw new BootstrapError(`issuing core refused the ${route === 'check' ? 'join' : 'acknowledgement'}: ${body.error?.message ?? `HTTP ${status}`}`);
  return body;
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BootstrapError(`${what} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * `bin/start --bootstrap <bundle> --bootstrap-passphrase-file <f>`: opens the bundle, asks the issuing
 * core whether its token is still good, then writes `{varDir}/cluster` (certificates, credential,
 * core.yml, the pending acknowledgement) in one rename. Any refusal leaves nothing behind.
 */
export async function applyBundle(varDir: string, bundleFile: string, passphraseFile: string): Promise<BundlePayload> {
  const files = clusterFiles(varDir);
  if (existsSync(files.dir)) throw new BootstrapError(`${files.dir} exists: this var dir already belongs to a cluster`);
  const passphrase = readSecretFile(passphraseFile, 'passphrase file').trim();
  let payload: BundlePayload;
  try {
    payload = openBundle(readSecretFile(bundleFile, 'bundle'), passphrase);
  } catch (err) {
    if (err instanceof BundleError) throw new BootstrapError(err.message);
    throw err;
  }
  if (payload.expiresAt < Date.now()) {
    throw new BootstrapError(`join token expired at ${new Date(payload.expiresAt).toISOString()}: ask for a new bundle (bin/bootstrap.js new-core)`);
  }
  // A clone's bundle carries no token: its core is registered and available already.
  const clone = payload.cloneId;
  if (clone === undefined) await callIssuer(payload.issuer.url, 'check', payload.core.id, payload.token);
  const pending: PendingAck = { coreId: payload.core.id, token: payload.token, issuerUrl: payload.issuer.url };
  // First: written again by a retry (same ids, same material), merged into keys this var dir may hold.
  if (payload.keys !== undefined) installKeySet(varDir, parseKeySet(payload.keys));
  writeDirAtomically(files.dir, {
    'ca.crt': payload.tls.ca,
    'node.crt': payload.tls.cert,
    'node.key': payload.tls.key,
    'rqlite-auth.json': authFileContent(payload.rqlitePassword),
    ...(clone === undefined ? { 'pending-ack.json': `${JSON.stringify(pending)}\n` } : {}),
    'core.yml': coreYaml(varDir, {
      coreId: payload.core.id, url: payload.core.url, ip: payload.core.ip, hosting: payload.core.hosting, zone: payload.core.zone,
      region: payload.core.region ?? null, hostingName: payload.core.hostingName ?? null,
      raftAddress: payload.core.raftAddress, join: payload.join, nonVoter: true, platform: payload.config,
      ...(clone === undefined ? {} : { cloneId: clone }),
    }),
  });
  return payload;
}

/** True while this core still has to acknowledge its join to the issuing core. */
export const ackPending = (varDir: string): boolean => existsSync(clusterFiles(varDir).pendingAck);

/** Once this core's rqlited is a member: the issuer burns the token and marks this core available. */
export async function acknowledgeJoin(varDir: string): Promise<string> {
  const file = clusterFiles(varDir).pendingAck;
  const pending = JSON.parse(readFileSync(file, 'utf8')) as PendingAck;
  await callIssuer(pending.issuerUrl, 'ack', pending.coreId, pending.token);
  rmSync(file, { force: true });
  return pending.issuerUrl;
}
