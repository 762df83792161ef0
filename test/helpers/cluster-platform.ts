import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { members, type Member } from '../../src/cluster/membership.js';
import { createLogger } from '../../src/logging/logger.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import type { RqliteClient } from '../../src/platform/rqlite-client.js';
import { projectRoot } from '../../src/util/project-root.js';
import { startCore, type CoreProcess } from './core-process.js';

/**
 * A multi-core platform of real masters built exactly as an operator does (docs/operations.md):
 * `bootstrap.js init` on the first core, `new-core` bundles and `--bootstrap` for the others. Raft on
 * 127.0.0.2, .3, .4 with mutual TLS; public ports on 127.0.0.1; one database per core on the shared
 * test PostgreSQL.
 */
export interface CliResult { code: number | null; stdout: string; stderr: string }

export function runCli(script: 'bootstrap-cli' | 'master', args: string[], env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'bin', `${script}.js`), ...args], { cwd: projectRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const bootstrapCli = (args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> => runCli('bootstrap-cli', args, env);

export interface PlatformCore {
  id: string;
  ip: string;
  core: CoreProcess;
  raftAddress: string;
  /** The sealed bundle and passphrase file it joined with (null for the first core). */
  bundle: { file: string; passphraseFile: string } | null;
}

const logger = createLogger({ level: 'silent', role: 'test' });

/** A platform-DB client of `core`, as its own processes have it (certificate + credential). */
export function clientOf(core: CoreProcess, retryBudgetMs = 0): RqliteClient {
  return createPlatformClient(loadConfig({ env: core.env }), logger, { requestTimeoutMs: 3000, retryBudgetMs });
}

export async function membersOf(core: CoreProcess): Promise<Member[]> {
  const c = clientOf(core);
  try {
    return await members(c);
  } finally {
    await c.close();
  }
}

/** The public ports a core serves on: only the API when its env runs no HFS worker. */
const servedPorts = (core: CoreProcess): number[] | undefined => (core.env['HOMECORE_CLUSTER__HFS_WORKERS'] === '0' ? [core.ports.api] : undefined);

const raftEnv = (ip: string) => (ports: { rqliteRaft: number }) => ({ HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: `${ip}:${ports.rqliteRaft}` });

export async function startFirstCore(id: string, ip: string, env: Record<string, string> = {}): Promise<PlatformCore> {
  let raftAddress = '';
  const core = await startCore({
    env,
    envFor: raftEnv(ip),
    prepare: async (env) => {
      raftAddress = String(env['HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS']);
      const r = await bootstrapCli(
        ['init', '--id', id, '--url', `http://127.0.0.1:${String(env['HOMECORE_HTTP__API_PORT'])}/`, '--ip', ip, '--domain', 'cluster.homecore.test', '--hosting', 'test', '--raft-address', raftAddress],
        env,
      );
      if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
    },
  });
  await core.waitReady(90_000, servedPorts(core));
  return { id, ip, core, raftAddress, bundle: null };
}

/** `new-core` on `issuer`, then a master started with `--bootstrap`; resolves once it serves. */
export async function joinCore(issuer: PlatformCore, id: string, ip: string, env: Record<string, string> = {}): Promise<PlatformCore> {
  const dir = mkdtempSync(join(tmpdir(), `homecore-${id}-`));
  const bundle = { file: join(dir, `${id}.bundle`), passphraseFile: join(dir, `${id}.pass`) };
  let raftAddress = '';
  const core = await startCore({
    env,
    envFor: raftEnv(ip),
    args: ['--bootstrap', bundle.file, '--bootstrap-passphrase-file', bundle.passphraseFile],
    prepare: async (env) => {
      raftAddress = String(env['HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS']);
      const r = await bootstrapCli(
        ['new-core', '--id', id, '--url', `http://127.0.0.1:${String(env['HOMECORE_HTTP__API_PORT'])}/`, '--ip', ip, '--hosting', 'test',
          '--raft-address', raftAddress, '--out', bundle.file, '--passphrase-file', bundle.passphraseFile],
        issuer.core.env,
      );
      if (r.code !== 0) throw new Error(`new-core failed: ${r.stderr}`);
    },
  });
  await core.waitReady(90_000, servedPorts(core));
  return { id, ip, core, raftAddress, bundle };
}

/**
 * `new-clone` on `issuer` for a further clone of `of` whose Raft (and public ports) are on `ip`, then
 * a master started with `--bootstrap`, on `of`'s database; resolves once it serves.
 */
export async function startCloneOf(issuer: PlatformCore, of: PlatformCore, cloneId: string, ip: string, env: Record<string, string> = {}): Promise<PlatformCore> {
  const dir = mkdtempSync(join(tmpdir(), `homecore-${of.id}-${cloneId}-`));
  const bundle = { file: join(dir, `${cloneId}.bundle`), passphraseFile: join(dir, `${cloneId}.pass`) };
  let raftAddress = '';
  const core = await startCore({
    host: ip,
    cloneOf: { core: of.core, cloneId, viaBundle: true },
    env: { HOMECORE_MIGRATIONS__AUTO_RUN: 'false', ...env },
    args: ['--bootstrap', bundle.file, '--bootstrap-passphrase-file', bundle.passphraseFile],
    prepare: async (e) => {
      raftAddress = String(e['HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS']);
      const r = await bootstrapCli(
        ['new-clone', '--id', of.id, '--clone-id', cloneId, '--raft-address', raftAddress, '--out', bundle.file, '--passphrase-file', bundle.passphraseFile],
        issuer.core.env,
      );
      if (r.code !== 0) throw new Error(`new-clone failed: ${r.stderr}`);
    },
  });
  await core.waitReady(90_000, servedPorts(core));
  return { id: of.id, ip: of.ip, core, raftAddress, bundle };
}
