import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { raftAdvertisedAddress } from '../config/multi-rules.js';
import { RQLITE_USER } from '../secrets/rqlite-auth.js';
import { projectRoot } from '../util/project-root.js';

export interface RqlitedBinary {
  path: string;
  version: string;
  /** false for builds that skip client-certificate checks on the Raft port (< 8.43.3). */
  multiCoreSafe: boolean;
  source: string;
}

/** The binary bin/install-rqlited installed (or the configured one) and what its manifest says. */
export function resolveRqlited(config: Readonly<Config>): RqlitedBinary {
  const configured = config.platformDb.rqlited.binary;
  const dir = join(projectRoot(), '.tools', 'rqlited');
  const path = configured ?? join(dir, 'rqlited');
  if (!existsSync(path)) {
    throw new Error(`rqlited not found at ${path}: run bin/install-rqlited (or set platformDb.rqlited.binary)`);
  }
  const manifestFile = configured === null ? join(dir, 'manifest.json') : `${configured}.manifest.json`;
  if (!existsSync(manifestFile)) {
    // An operator-supplied binary without a manifest: ask it its version.
    const version = versionOf(path);
    return { path, version: version ?? 'unknown', multiCoreSafe: version !== null && checksRaftClients(version), source: 'configured' };
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Partial<RqlitedBinary>;
  return {
    path,
    version: String(manifest.version ?? 'unknown'),
    multiCoreSafe: manifest.multiCoreSafe === true,
    source: String(manifest.source ?? 'unknown'),
  };
}

function versionOf(binary: string): string | null {
  const r = spawnSync(binary, ['-version'], { encoding: 'utf8', timeout: 5000 });
  return /\bv?(\d+\.\d+\.\d+)\b/.exec(`${r.stdout ?? ''} ${r.stderr ?? ''}`)?.[1] ?? null;
}

/** 8.13.3 up to 8.43.2 ignore -node-verify-client; v9 and later are never used (licence, docs/rqlited.md). */
export function checksRaftClients(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return major === 8 && (minor > 43 || (minor === 43 && patch >= 3));
}

/** Multi-core needs an rqlited that checks Raft client certificates (docs/rqlited.md). */
export function assertModeSupported(config: Readonly<Config>, binary: RqlitedBinary): void {
  if (config.platform.mode === 'multi' && !binary.multiCoreSafe) {
    throw new Error(
      `platform.mode is multi but rqlited ${binary.version} (${binary.source}) does not check Raft client ` +
        'certificates: refusing to start. Install rqlited >= 8.43.3 (pinned 8.43.4, see docs/rqlited.md).',
    );
  }
}

export function rqliteDataDir(config: Readonly<Config>): string {
  return join(config.paths.varDir, 'rqlite');
}

/**
 * Written once this node is a confirmed cluster member. Until then a start carries the join flags;
 * after, never: a restarting member whose join targets have no leader would exit (notes §1). The
 * raft.db file alone is no proof: rqlited creates it before its first join attempt.
 */
export function joinedMarker(config: Readonly<Config>): string {
  return join(rqliteDataDir(config), 'homecore-joined');
}

/**
 * This node's id in the rqlite cluster: the core id, or `{core id}.{clone id}` for a clone (core ids
 * have no dot, so a clone's id never names another core). Two clones sharing one id would fight over
 * one Raft identity (issue #13).
 */
export function rqliteNodeId(config: Readonly<Config>): string {
  return config.core.cloneId === null ? config.core.id : `${config.core.id}.${config.core.cloneId}`;
}

export interface RqlitedArgsOptions {
  /** `-auth` credential file (the master always passes it; the shared test rqlited runs without). */
  authFile?: string;
  /** Join targets overriding platformDb.rqlited.join (a promotion rejoins through the current members). */
  join?: string[];
  /** Rejoin as a voter whatever platformDb.rqlited.nonVoter says (promotion). */
  voter?: boolean;
}

/**
 * Command line of the local rqlited. The HTTP API is bound to 127.0.0.1 whatever the config says:
 * peers forward over the Raft port, so no other host ever needs it. In multi mode both ports demand
 * a client certificate from the cluster CA (rqlite ≥ 8.43.3 enforces it on the Raft port).
 */
export function rqlitedArgs(config: Readonly<Config>, options: RqlitedArgsOptions = {}): string[] {
  const r = config.platformDb.rqlited;
  const args = [
    '-node-id', rqliteNodeId(config),
    '-http-addr', `127.0.0.1:${r.httpPort}`,
    '-raft-addr', r.raftAddress,
    '-http-adv-addr', `127.0.0.1:${r.httpPort}`,
    '-raft-adv-addr', raftAdvertisedAddress(config),
    '-fk=true',
  ];
  if (options.authFile !== undefined) args.push('-auth', options.authFile, '-join-as', RQLITE_USER);
  const { caFile, certFile, keyFile } = config.platformDb.tls;
  if (config.platform.mode === 'multi' && caFile !== null && certFile !== null && keyFile !== null) {
    args.push('-node-cert', certFile, '-node-key', keyFile, '-node-ca-cert', caFile, '-node-verify-client');
    args.push('-http-cert', certFile, '-http-key', keyFile, '-http-ca-cert', caFile, '-http-verify-client');
  }
  // Single mode joins only clones of this core (plain Raft: keep it on a private network).
  const join = options.join ?? r.join;
  const joins = config.platform.mode === 'multi' ? caFile !== null && certFile !== null && keyFile !== null : config.core.cloneId !== null;
  if (joins && join.length > 0 && !existsSync(joinedMarker(config))) {
    args.push('-join', join.join(','), '-join-attempts', '10', '-join-interval', '2s');
    const voter = options.voter ?? !r.nonVoter;
    if (!voter) args.push('-raft-non-voter');
  }
  args.push(rqliteDataDir(config));
  return args;
}
