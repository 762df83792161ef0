import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Config } from './schema.js';

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/** host of a `host:port` address (IPv6 in brackets kept as written). */
export function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

/** The Raft address other cores reach this one on. */
export function raftAdvertisedAddress(config: Readonly<Config>): string {
  const r = config.platformDb.rqlited;
  return r.raftAdvertisedAddress ?? r.raftAddress;
}

function fileProblem(key: string, file: string | null): string | null {
  if (file === null) return `${key}: required when platform.mode is multi (run bin/bootstrap.js init, or bin/start --bootstrap)`;
  if (!existsSync(file)) return `${key}: ${file} does not exist`;
  if (!statSync(file).isFile()) return `${key}: ${file} is not a file`;
  return null;
}

/**
 * Cross-key rules of the multi-core mode (issue #15): every per-core identity the cluster needs is
 * present, the Raft address peers dial is routable, and the mutual-TLS files exist.
 */
export function clusterProblems(config: Readonly<Config>): string[] {
  const problems: string[] = [];
  const r = config.platformDb.rqlited;
  const tls = config.platformDb.tls;
  if (config.platform.mode !== 'multi') {
    // A single core's clones join the first clone's rqlited (issue #13); a lone core joins nothing.
    const why = 'only used when platform.mode is multi, or by a clone (core.cloneId)';
    if (config.core.cloneId === null && r.join.length > 0) problems.push(`platformDb.rqlited.join: ${why}`);
    if (config.core.cloneId === null && r.nonVoter) problems.push(`platformDb.rqlited.nonVoter: ${why}`);
    return problems;
  }
  if (config.core.url === null) problems.push('core.url: required when platform.mode is multi (this core\'s public URL, slash-terminated)');
  if (config.core.ip === null) problems.push('core.ip: required when platform.mode is multi');
  else if (isIP(config.core.ip) === 0) problems.push(`core.ip: "${config.core.ip}" is not an IP address`);
  else if (config.dns.enabled && isIP(config.core.ip) !== 4) problems.push(`core.ip: "${config.core.ip}" must be an IPv4 address when dns.enabled (it is served in A records)`);
  if (config.platform.domain === null) problems.push('platform.domain: required when platform.mode is multi');
  if (r.external) {
    // rqlited and its cluster are run elsewhere: their Raft and TLS setup is the operator's. TLS files,
    // when given, are still used by the platform-DB client, so they must exist.
    for (const [key, file] of [['caFile', tls.caFile], ['certFile', tls.certFile], ['keyFile', tls.keyFile]] as const) {
      if (file !== null) {
        const p = fileProblem(`platformDb.tls.${key}`, file);
        if (p !== null) problems.push(p);
      }
    }
    return problems;
  }
  const adv = raftAdvertisedAddress(config);
  if (WILDCARD.has(hostOf(adv))) {
    problems.push(`platformDb.rqlited.raftAdvertisedAddress: required when raftAddress binds ${hostOf(r.raftAddress) || 'all addresses'} (the address other cores dial)`);
  }
  if (r.nonVoter && r.join.length === 0) {
    problems.push('platformDb.rqlited.nonVoter: a non-voter can only join an existing cluster: platformDb.rqlited.join is empty');
  }
  if (r.join.includes(adv)) problems.push(`platformDb.rqlited.join: lists this core's own Raft address ${adv}`);
  for (const [key, file] of [['caFile', tls.caFile], ['certFile', tls.certFile], ['keyFile', tls.keyFile]] as const) {
    const p = fileProblem(`platformDb.tls.${key}`, file);
    if (p !== null) problems.push(p);
  }
  return problems;
}
