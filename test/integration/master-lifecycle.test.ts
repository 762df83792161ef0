import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCoreCertificate } from '../../src/cluster/pki.js';
import { MASTER_NODE_FLAGS } from '../../src/master/worker-memory.js';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { boundPorts, isRunning, startCore, type CoreProcess } from '../helpers/core-process.js';

/**
 * The master as operators run it (`node dist/bin/master.js`): start-up, drain on SIGTERM, and recovery
 * after a `kill -9` of the master (docs/operations.md). Needs a build: `tsc -p tsconfig.json`.
 */

interface ReadyBody { status: string; failing: { check: string; detail: string }[] }

const cores: CoreProcess[] = [];
async function core(opts: Parameters<typeof startCore>[0] = {}): Promise<CoreProcess> {
  const c = await startCore(opts);
  cores.push(c);
  return c;
}

afterEach(async () => {
  const failures: unknown[] = [];
  for (const c of cores.splice(0)) await c.kill().catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw failures[0];
});

/** Local addresses (IPv4 dotted, IPv6 raw hex) of the sockets listening on `port` (Linux /proc/net/tcp*). */
function listenAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue;
      const [addr = '', hexPort = ''] = local.split(':');
      if (Number.parseInt(hexPort, 16) !== port) continue;
      out.push(addr.length === 8 ? (addr.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)).join('.') : addr);
    }
  }
  return out;
}

function uids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:')) ?? '';
  return line.split(/\s+/).slice(1).filter((v) => v !== '').map(Number);
}

// One core at a time: each forks ~8 processes on a 2-core machine.
describe('master lifecycle', { concurrent: false, shuffle: false }, () => {
  it('starts every worker with the embedded PostgreSQL; health, readiness and 404 on every port', { timeout: 90_000 }, async () => {
    const c = await core({ embeddedPg: true, env: { HOMECORE_STORAGES__POSTGRESQL__SHARED_BUFFERS_MB: '48' } });
    await c.waitReady(60_000);
    // The embedded server's settings: storages.postgresql.sharedBuffersMb and ioMethod (sync by default), and the WAL size restores need.
    const db = new pg.Client({ host: '127.0.0.1', port: c.ports.pg ?? 0, user: 'homecore', database: 'homecore', password: readFileSync(join(c.varDir, 'secrets', 'postgresql-password'), 'utf8').trim() });
    await db.connect();
    try {
      const shown = await db.query<{ b: string; w: string; io: string }>(`SELECT current_setting('shared_buffers') AS b, current_setting('max_wal_size') AS w, current_setting('io_method') AS io`);
      expect(shown.rows[0]).toEqual({ b: '48MB', w: '4GB', io: 'sync' });
    } finally {
      await db.end();
    }

    const pids = c.workerPids();
    expect({ api: pids.api.length, hfs: pids.hfs.length, previews: pids.previews.length }).toEqual({ api: 2, hfs: 1, previews: 1 });
    // The master's own V8 flags (MASTER_NODE_FLAGS) are its own, not the workers'.
    const args = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(args(c.pid)).toEqual(expect.arrayContaining([...MASTER_NODE_FLAGS]));
    for (const pid of Object.values(pids).flat()) expect(args(pid).filter((a) => MASTER_NODE_FLAGS.includes(a) || a.includes('semi-space'))).toEqual([]);
    // /ready 200 only once the core is flagged available: placement takes a registration at once.
    const hostings = await c.status(c.ports.api, '/reg/hostings');
    expect(JSON.stringify(hostings.body)).toMatch(/"available":true/);
    for (const port of c.publicPorts) {
      const ready = await c.status(port, '/ready');
      expect(ready.status, `GET /ready on ${port}: ${ready.text}`).toBe(200);
      expect((ready.body as ReadyBody).failing).toEqual([]);
      expect((await c.status(port, '/health')).status, `GET /health on ${port}`).toBe(200);
      for (const path of ['/health', '/ready']) {
        const head = await c.status(port, path, 'HEAD');
        expect(head.status, `HEAD ${path} on ${port}`).toBe(200);
        expect(head.text).toBe('');
      }
      const unknown = await c.status(port, '/no/such/route');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({
        error: { id: 'unknown-resource' },
        meta: { apiVersion: expect.any(String), serverTime: expect.any(Number), serial: expect.any(String) },
      });
    }

    // initdb and the server ran as an unprivileged user although the master runs as root.
    const postgres = c.postgresPid();
    expect(postgres, c.tail()).not.toBeNull();
    const pgUids = uids(postgres ?? 0);
    expect(pgUids).toHaveLength(4);
    for (const uid of pgUids) expect(uid).not.toBe(0);

    // rqlite's HTTP API has no authentication: loopback only.
    expect(listenAddresses(c.ports.rqliteHttp)).toEqual(['127.0.0.1']);
  });

  it('SIGTERM: /ready 503 while /health 200 during the drain, then exit 0 with no process or port left', { timeout: 120_000 }, async () => {
    const drainMs = 3000;
    const c = await core({ embeddedPg: true, env: { HOMECORE_CLUSTER__DRAIN_MS: String(drainMs) } });
    await c.waitReady(60_000);
    const tree = c.treePids();
    const workers = Object.values(c.workerPids()).flat();
    expect(workers).toHaveLength(4);
    for (const pid of [c.pid, ...workers, c.rqlitedPid(), c.postgresPid()]) expect(tree).toContain(pid);

    const signalledAt = Date.now();
    c.signal('SIGTERM');
    const draining = await c.waitFor('/ready = 503 on the API port', async () => {
      const r = await c.status(c.ports.api, '/ready');
      return r.status === 503 ? (r.body as ReadyBody) : null;
    }, 2000, 50);
    expect(draining.failing.map((f) => f.check)).toContain('draining');
    for (const port of c.publicPorts) {
      expect((await c.status(port, '/ready')).status, `/ready on ${port} while draining`).toBe(503);
      expect((await c.status(port, '/health')).status, `/health on ${port} while draining`).toBe(200);
    }
    // Still serving late in the drain: the load balancer has the whole drainMs to notice.
    await c.waitFor('late in the drain', () => Date.now() - signalledAt >= drainMs - 800, drainMs);
    expect((await c.status(c.ports.api, '/health')).status).toBe(200);

    expect(await c.waitExit(30_000)).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(drainMs);
    expect(tree.filter(isRunning), c.tail()).toEqual([]);
    expect(await boundPorts(c.allPorts), c.tail()).toEqual([]);
    expect(c.logs.some((l) => /"msg":"stopped"/.test(l)), c.tail()).toBe(true);
  });

  it('Ctrl-C to the whole process group: sidecars outlive the drain and are stopped last, exit 0', { timeout: 120_000 }, async () => {
    const drainMs = 2500;
    const c = await core({ env: { HOMECORE_CLUSTER__DRAIN_MS: String(drainMs) } });
    await c.waitReady(60_000);
    const rqlited = c.rqlitedPid();
    expect(rqlited).not.toBeNull();
    const tree = c.treePids();
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-c.pid, 'SIGINT');
    await c.waitFor('/ready = 503', async () => ((await c.status(c.ports.api, '/ready')).status === 503 ? true : null), 2000, 50);
    await new Promise((r) => setTimeout(r, drainMs / 2));
    // Mid-drain, the platform DB sidecar is still the same process and /health still answers.
    expect(isRunning(rqlited ?? -1), c.tail()).toBe(true);
    expect(c.rqlitedPid()).toBe(rqlited);
    expect((await c.status(c.ports.api, '/health')).status).toBe(200);
    expect(await c.waitExit(30_000)).toBe(0);
    expect(tree.filter(isRunning), c.tail()).toEqual([]);
    expect(c.logs.some((l) => /sidecar died/.test(l)), c.tail()).toBe(false);
  });

  it('refuses to start when a public port is taken, naming it, leaving nothing running', { timeout: 90_000 }, async () => {
    const { createServer } = await import('node:net');
    const { freePort } = await import('../helpers/free-port.js');
    // Occupy the previews port before the master gets there: the master owns the public ports
    // (src/master/connection-broker.ts), so it fails to listen itself.
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const c = await core({
        env: {
          HOMECORE_HTTP__PREVIEWS_PORT: String(port),
          HOMECORE_CLUSTER__CRASH_LOOP__MAX_EXITS: '2',
          HOMECORE_CLUSTER__RESTART_BACKOFF__INITIAL_MS: '50',
          HOMECORE_CLUSTER__RESTART_BACKOFF__MAX_MS: '100',
        },
      });
      const code = await c.waitExit(60_000);
      expect(code, c.tail()).toBe(1);
      expect(c.logs.some((l) => l.includes('EADDRINUSE') && l.includes(`:${port}`)), c.tail()).toBe(true);
      expect(c.treePids().filter((pid) => pid !== c.pid && isRunning(pid)), c.tail()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('a second signal during the drain forces an immediate exit, still leaving no process behind', { timeout: 90_000 }, async () => {
    const c = await core({ env: { HOMECORE_CLUSTER__DRAIN_MS: '20000' } });
    await c.waitReady(60_000);
    const tree = c.treePids();
    c.signal('SIGTERM');
    await c.waitFor('/ready = 503', async () => ((await c.status(c.ports.api, '/ready')).status === 503 ? true : null), 2000, 50);
    const second = Date.now();
    c.signal('SIGTERM');
    const code = await c.waitExit(10_000);
    expect(code, c.tail()).toBe(1);
    expect(Date.now() - second).toBeLessThan(5000);
    await c.waitFor('every process gone', () => (tree.every((pid) => !isRunning(pid)) ? true : null), 5000);
  });

  it('multi mode: refuses an incomplete cluster identity, and an rqlited that does not check Raft client certificates', { timeout: 60_000 }, async () => {
    const bare = await core({ env: { HOMECORE_PLATFORM__MODE: 'multi', HOMECORE_PLATFORM__DOMAIN: 'example.test' } });
    expect(await bare.waitExit(30_000), bare.tail()).toBe(1);
    expect(bare.logs.join('\n')).toMatch(/core\.ip: required when platform\.mode is multi[\s\S]*platformDb\.tls\.caFile: required/);
    expect(bare.rqlitedPid()).toBeNull();

    // A complete identity, but an rqlited (no manifest) whose -version is one that ignores -node-verify-client.
    const dir = mkdtempSync(join(tmpdir(), 'homecore-old-rqlited-'));
    const ca = await createCa('test CA');
    const cert = await issueCoreCertificate(ca, { id: 'core-old', domain: 'example.test', ip: '127.0.0.7' });
    for (const [f, v] of [['ca.crt', ca.cert], ['node.crt', cert.cert], ['node.key', cert.key]] as const) writeFileSync(join(dir, f), v);
    writeFileSync(join(dir, 'rqlited'), '#!/bin/sh\necho "rqlited v8.26.8 linux/amd64 go1.22.5"\n', { mode: 0o755 });
    const old = await core({
      env: {
        HOMECORE_PLATFORM__MODE: 'multi', HOMECORE_PLATFORM__DOMAIN: 'example.test', HOMECORE_CORE__ID: 'core-old',
        HOMECORE_CORE__URL: 'http://127.0.0.7:3000/', HOMECORE_CORE__IP: '127.0.0.7', HOMECORE_PLATFORM_DB__RQLITED__BINARY: join(dir, 'rqlited'),
        HOMECORE_PLATFORM_DB__TLS__CA_FILE: join(dir, 'ca.crt'), HOMECORE_PLATFORM_DB__TLS__CERT_FILE: join(dir, 'node.crt'),
        HOMECORE_PLATFORM_DB__TLS__KEY_FILE: join(dir, 'node.key'),
      },
    });
    expect(await old.waitExit(30_000), old.tail()).toBe(1);
    expect(old.logs.join('\n')).toMatch(/rqlited 8\.26\.8 \(configured\) does not check Raft client certificates: refusing to start/);
    expect(old.rqlitedPid()).toBeNull();
  });

  it('a master started over a stale pid file reaps the orphaned rqlited and serves again', { timeout: 150_000 }, async () => {
    const first = await core();
    await first.waitReady(60_000);
    const oldWorkers = Object.values(first.workerPids()).flat();
    const oldRqlited = first.rqlitedPid();
    expect(oldWorkers).toHaveLength(4);
    expect(oldRqlited).not.toBeNull();

    first.signal('SIGKILL');
    expect(await first.waitExit(5000)).toBeNull();
    // Workers notice the IPC channel closing and leave; rqlited has no such link and stays.
    await first.waitFor('the old workers to exit', () => oldWorkers.every((p) => !isRunning(p)), 15_000);
    expect(isRunning(oldRqlited ?? 0), 'orphaned rqlited still running before the new master starts').toBe(true);
    const masterPidFile = join(first.varDir, 'run', 'master.pid');
    expect(readFileSync(masterPidFile, 'utf8').trim()).toBe(String(first.pid));

    const second = await core({ takeOver: first });
    await second.waitReady(60_000);
    expect(isRunning(oldRqlited ?? 0)).toBe(false);
    expect(second.rqlitedPid()).not.toBeNull();
    expect(second.rqlitedPid()).not.toBe(oldRqlited);
    expect(oldWorkers.filter(isRunning)).toEqual([]);
    expect(readFileSync(masterPidFile, 'utf8').trim()).toBe(String(second.pid));
    const warnings = second.entries().filter((e) => e['level'] === 40).map((e) => String(e['msg']));
    expect(warnings, second.tail()).toContain('stopped an rqlited left by a previous master');
    expect(warnings).toContain('stale master pid file: previous master did not stop cleanly');
  });
});
