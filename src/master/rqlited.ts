import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
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
    // An operator-supplied binary without a manifest: trust it for single core only.
    return { path, version: 'unknown', multiCoreSafe: false, source: 'configured' };
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Partial<RqlitedBinary>;
  return {
    path,
    version: String(manifest.version ?? 'unknown'),
    multiCoreSafe: manifest.multiCoreSafe === true,
    source: String(manifest.source ?? 'unknown'),
  };
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
 * Command line of the local rqlited. The HTTP API is bound to 127.0.0.1 whatever the config says:
 * it has no authentication, so it must never be reachable from another host.
 */
export function rqlitedArgs(config: Readonly<Config>): string[] {
  const r = config.platformDb.rqlited;
  const raftHost = r.raftAddress.split(':')[0] ?? '127.0.0.1';
  const args = [
    '-node-id', config.core.id,
    '-http-addr', `127.0.0.1:${r.httpPort}`,
    '-raft-addr', r.raftAddress,
    // Peers forward over the Raft port; they never need our HTTP API.
    '-http-adv-addr', `127.0.0.1:${r.httpPort}`,
    '-raft-adv-addr', `${raftHost}:${r.raftAddress.split(':')[1] ?? ''}`,
    '-fk=true',
  ];
  args.push(rqliteDataDir(config));
  return args;
}
