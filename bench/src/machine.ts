import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { PgTarget } from './yardsticks.ts';

export interface MachineFacts {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  /** 1, 5, 15 min. */
  loadAtStart: number[];
  loadAtEnd: number[];
  /** How the bench waited for a quiet machine (--wait-quiet). */
  quietCheck: string;
}

export interface Versions {
  homecore: string;
  node: string;
  fastify: string;
  postgresql: string;
  rqlited: string;
  wrk: string;
  pgbench: string;
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    // `wrk -v` prints its version and exits 1.
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
  }
}

export const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

export function machineFacts(): Omit<MachineFacts, 'loadAtEnd' | 'quietCheck'> {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: run('uname', ['-r']),
    loadAtStart: load(),
  };
}

export async function versions(root: string, opts: { pg: PgTarget | null; rqliteUrl: string | null; pgbench: string | null }): Promise<Versions> {
  const git = run('git', ['rev-parse', '--short', 'HEAD'], root);
  const dirty = run('git', ['status', '--porcelain', '--', 'src', 'bin', 'workers', 'config'], root) !== '';
  let postgresql = 'unknown (--url without --pg-url)';
  if (opts.pg !== null) {
    const c = new pg.Client(opts.pg);
    await c.connect();
    postgresql = String((await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?');
    await c.end();
  }
  let rqlited = 'unknown (--url)';
  const manifest = join(root, '.tools', 'rqlited', 'manifest.json');
  if (opts.rqliteUrl !== null && existsSync(manifest)) {
    // The npm fallback binary reports only its major version; bin/install-rqlited's manifest knows more.
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string; source?: string };
    rqlited = `${m.version ?? '?'} (${m.source ?? '?'})`;
  } else if (opts.rqliteUrl !== null) {
    try {
      const res = await fetch(`${opts.rqliteUrl}status`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { build?: { version?: string } };
      rqlited = body.build?.version ?? '?';
    } catch {
      rqlited = '?';
    }
  }
  const fastify = (JSON.parse(readFileSync(join(root, 'node_modules', 'fastify', 'package.json'), 'utf8')) as { version: string }).version;
  return {
    homecore: `${git}${dirty ? ' + uncommitted changes' : ''}`,
    node: process.version,
    fastify,
    postgresql,
    rqlited,
    wrk: run('wrk', ['-v']).split('\n')[0]?.replace(/ Copyright.*/, '') ?? '?',
    pgbench: opts.pgbench === null ? 'none' : run(opts.pgbench, ['--version']),
  };
}
