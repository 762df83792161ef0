import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore, type CoreProcess, type HttpResult } from '../helpers/core-process.js';
import { randomUsername } from '../helpers/api-app.js';

/**
 * Issue #16 on a real core (`node dist/bin/master.js`, 2 API workers, its own embedded PostgreSQL):
 * the database password is generated, not shipped; workers get a sized libuv pool; failed-login
 * counters are shared by both API workers. Needs a build: `tsc -p tsconfig.json`.
 */
const cores: CoreProcess[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.kill();
});

/** One request on a fresh connection: node:cluster hands connections to the workers in turn. */
function post(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('attempt limits on a real core', { concurrent: false }, () => {
  it('generated DB password, UV_THREADPOOL_SIZE, worker memory settings, and one failed-login count across 2 API workers', { timeout: 180_000 }, async () => {
    const c = await startCore({ embeddedPg: true, env: { HOMECORE_ATTEMPT_LIMITS__LOGIN_PER_USERNAME__FREE: '4', HOMECORE_ATTEMPT_LIMITS__LOGIN_PER_USERNAME__BASE_DELAY_SECONDS: '120',
      HOMECORE_CLUSTER__WORKER_MEMORY__HEAP_GROWING_PERCENT: '50', HOMECORE_CLUSTER__WORKER_MEMORY__MAX_SEMI_SPACE_MB: '8', HOMECORE_CLUSTER__WORKER_MEMORY__MALLOC_ARENA_MAX: '2' } });
    cores.push(c);
    await c.waitReady(90_000);

    // No password in the configuration: the master generated one (0600) and the workers use it.
    const pw = readFileSync(`${c.varDir}/secrets/postgresql-password`, 'utf8');
    expect(pw.length).toBeGreaterThanOrEqual(40);
    const api = c.workerPids().api;
    expect(api).toHaveLength(2);
    for (const pid of api) {
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('UV_THREADPOOL_SIZE=8');
    }
    // cluster.workerMemory (set above; off by default) reaches every worker (src/master/worker-memory.ts).
    for (const pid of [...api, ...c.workerPids().hfs]) {
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['--heap-growing-percent=50', '--max-semi-space-size=8']));
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    }

    const username = randomUsername('lim');
    const reg = await post(c.ports.api, '/users', { username, password: 'right-password', email: `${username}@example.test`, appId: 'limits-test' });
    expect(reg.status, reg.text).toBe(201);
    const origin = { origin: `http://127.0.0.1:${c.ports.api}` };
    const login = (password: string): Promise<HttpResult> => post(c.ports.api, `/${username}/auth/login`, { username, password, appId: 'limits-test' }, origin);
    // 4 failures on alternating workers (per-process counters would allow 4 on each), then locked.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(`wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    const right = await login('right-password');
    expect(right.status).toBe(429);
    expect(right.text).not.toContain('"token"');
  });
});
