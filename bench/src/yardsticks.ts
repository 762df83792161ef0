import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { freePort } from './core.ts';
import { cpuSnapshot, cpuUsage, descendants, type CpuGroups, type CpuUse } from './procs.ts';
import { runWrk, type WrkResult } from './wrk.ts';

export interface PgTarget { host: string; port: number; database: string; user: string; password: string }

export interface FastifyYardstick { workers: number; result: WrkResult }

export interface PgbenchYardstick {
  tps: number;
  latencyAvgMs: number;
  clients: number;
  jobs: number;
  seconds: number;
  synchronousCommit: string;
  statement: string;
  pgbenchVersion: string;
  cpu: CpuUse;
}

/** Yardstick (a): the trivial fastify route in its own cluster, loaded exactly like the scenarios. */
export async function fastifyYardstick(opts: { workers: number; duration: number; connections: number; threads: number; scriptDir: string }): Promise<FastifyYardstick> {
  const port = await freePort();
  const child = spawn(process.execPath, [new URL('./yardstick-server.ts', import.meta.url).pathname, String(port), String(opts.workers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the fastify yardstick did not start')), 20_000);
      createInterface({ input: child.stdout }).on('line', (l) => {
        if (l === 'listening') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error('the fastify yardstick exited')));
    });
    const pid = child.pid ?? 0;
    const groups = (): CpuGroups => ({ 'fastify yardstick': [pid, ...descendants(pid)] });
    const result = await runWrk(
      { url: `http://127.0.0.1:${port}/`, requests: [{ method: 'GET', path: '/hello', token: 'none' }], duration: opts.duration, connections: opts.connections, threads: opts.threads, timeoutS: 10 },
      opts.scriptDir, 'yardstick-fastify', groups,
    );
    return { workers: opts.workers, result };
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * Yardstick (b): single-row INSERT transactions with pgbench on the core's own PostgreSQL, with the
 * synchronous_commit the core's connections get (asked on such a connection).
 */
export async function pgbenchYardstick(opts: { pgbench: string; target: PgTarget; duration: number; clients: number; scriptDir: string; groups: () => CpuGroups }): Promise<PgbenchYardstick> {
  const client = new pg.Client(opts.target);
  await client.connect();
  const sync = String((await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit ?? 'on');
  await client.query('DROP TABLE IF EXISTS bench_yardstick');
  await client.query('CREATE TABLE bench_yardstick (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, v double precision NOT NULL)');
  const statement = 'INSERT INTO bench_yardstick (ts, v) VALUES (now(), random());';
  const script = join(opts.scriptDir, 'pgbench-insert.sql');
  writeFileSync(script, `${statement}\n`);
  const jobs = 2;
  const version = await new Promise<string>((resolve) => {
    const c = spawn(opts.pgbench, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let o = '';
    c.stdout.on('data', (d: Buffer) => (o += d.toString()));
    c.on('close', () => resolve(o.trim()));
  });
  try {
    const t = opts.target;
    const child = spawn(
      opts.pgbench,
      ['-n', '-M', 'prepared', '-c', String(opts.clients), '-j', String(jobs), '-T', String(opts.duration), '-f', script, '-h', t.host, '-p', String(t.port), '-U', t.user, t.database],
      { env: { ...process.env, PGPASSWORD: t.password, PGOPTIONS: `-c synchronous_commit=${sync}` }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const pid = child.pid ?? 0;
    const groups = (): CpuGroups => ({ pgbench: [pid], ...opts.groups() });
    const g0 = groups();
    const before = cpuSnapshot(Object.values(g0).flat());
    await new Promise((r) => setTimeout(r, Math.max(500, opts.duration * 1000 - 300)));
    const g1 = groups();
    const merged: CpuGroups = {};
    for (const k of new Set([...Object.keys(g0), ...Object.keys(g1)])) merged[k] = [...new Set([...(g0[k] ?? []), ...(g1[k] ?? [])])];
    const after = cpuSnapshot(Object.values(merged).flat());
    const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    if (code !== 0) throw new Error(`pgbench exited with ${code}: ${out.slice(0, 1000)}`);
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
    const lat = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
    return { tps: Math.round(tps), latencyAvgMs: lat, clients: opts.clients, jobs, seconds: opts.duration, synchronousCommit: sync, statement, pgbenchVersion: version, cpu: cpuUsage(before, after, merged) };
  } finally {
    await client.query('DROP TABLE IF EXISTS bench_yardstick').catch(() => undefined);
    await client.end();
  }
}
