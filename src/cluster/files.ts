import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** Where a core keeps its cluster identity (written by `init` / `--bootstrap`, loaded by config/load.ts). */
export const clusterDir = (varDir: string): string => join(varDir, 'cluster');
/** The cluster CA, on the core(s) that issue certificates. Back it up: without it no core can be added. */
export const caDir = (varDir: string): string => join(varDir, 'cluster-ca');

export const clusterFiles = (varDir: string) => {
  const dir = clusterDir(varDir);
  return {
    dir,
    config: join(dir, 'core.yml'),
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'node.crt'),
    key: join(dir, 'node.key'),
    rqliteAuth: join(dir, 'rqlite-auth.json'),
    /** Token and issuer URL of a bootstrap not yet acknowledged; removed once the issuer burnt the token. */
    pendingAck: join(dir, 'pending-ack.json'),
  };
};

export const caFiles = (varDir: string) => ({ cert: join(caDir(varDir), 'ca.crt'), key: join(caDir(varDir), 'ca.key') });

/**
 * Writes a whole directory or nothing: files (all 0600) go to a sibling temporary directory that is
 * renamed into place at the end. Refuses an existing target.
 */
export function writeDirAtomically(target: string, files: Record<string, string>): void {
  if (existsSync(target)) throw new Error(`${target} already exists`);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o700 });
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(tmp, name), content, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Replaces one file atomically (write beside, rename over), 0600. */
export function replaceFile(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
}

export interface CoreYaml {
  coreId: string;
  url: string;
  ip: string;
  hosting: string;
  zone: string | null;
  region?: string | null;
  hostingName?: string | null;
  raftAddress: string;
  join: string[];
  nonVoter: boolean;
  platform: Record<string, unknown>;
  /** A clone of the core (`new-clone` bundle): its `core.cloneId`. */
  cloneId?: string;
}

/** The `{varDir}/cluster/core.yml` layer: identity, Raft addresses, TLS files, platform-wide settings. */
export function coreYaml(varDir: string, c: CoreYaml): string {
  const f = clusterFiles(varDir);
  const doc = {
    ...c.platform,
    core: { id: c.coreId, url: c.url, ip: c.ip, ...(c.cloneId === undefined ? {} : { cloneId: c.cloneId }) },
    registration: {
      ...(c.platform['registration'] as Record<string, unknown> | undefined),
      hosting: c.hosting,
      ...(c.zone === null ? {} : { zone: c.zone }),
      ...(c.region === null || c.region === undefined ? {} : { region: c.region }),
      ...(c.hostingName === null || c.hostingName === undefined ? {} : { hostingName: c.hostingName }),
    },
    platform: { ...(c.platform['platform'] as Record<string, unknown> | undefined), mode: 'multi' },
    platformDb: {
      rqlited: { raftAddress: c.raftAddress, raftAdvertisedAddress: c.raftAddress, join: c.join, nonVoter: c.nonVoter },
      tls: { caFile: f.ca, certFile: f.cert, keyFile: f.key, verifyClient: true },
    },
  };
  return `# Written by homecore's bootstrap: this core's cluster identity. Your own config file and\n# HOMECORE_* variables override it. Keep it 0600 (bundles of older cores put auth.tokenSecret here).\n${stringify(doc)}`;
}
