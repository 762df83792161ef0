import { request } from 'node:http';
import pryv from 'pryv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { markBackupDone } from '../../src/metrics/backup-stamp.js';
import { randomUsername } from '../helpers/api-app.js';
import { httpStatus, startCore, type CoreProcess } from '../helpers/core-process.js';
import { freePort } from '../helpers/free-port.js';

/**
 * /metrics (issue #13): served by the master on metrics.port (loopback, not the API port), the
 * figures of both API workers summed over cluster IPC. Requests go on fresh connections, which the
 * master hands to its two API workers in turn, so each worker counts half of them.
 */

const PASSWORD = 'metrics-password-1';
let core: CoreProcess;
let metricsPort: number;
let username: string;
let token: string;

beforeAll(async () => {
  metricsPort = await freePort();
  core = await startCore({
    env: { HOMECORE_CLUSTER__API_WORKERS: '2', HOMECORE_METRICS__PORT: String(metricsPort) },
    envFor: (ports) => ({
      HOMECORE_PLATFORM__PUBLIC_URL: `http://127.0.0.1:${ports.api}/`,
      HOMECORE_SERVICE__HOME: `http://127.0.0.1:${ports.api}/`,
    }),
  });
  await core.waitReady(150_000);
  const service = new pryv.Service(`${core.urls.api}/reg/service/info`);
  username = randomUsername('metrics');
  await service.createUser({ username, password: PASSWORD, email: `${username}@example.test`, hosting: 'auto', appId: 'metrics-test' });
  const conn = await service.login(username, PASSWORD, 'metrics-test');
  token = conn.token ?? '';
}, 240_000);

afterAll(async () => {
  await core?.kill();
});

/** One request on its own TCP connection (no keep-alive): the master hands each to the next worker. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample of a Prometheus text answer (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function scrape(): Promise<string> {
  const r = await get(metricsPort, '/metrics');
  expect(r.status).toBe(200);
  return r.text;
}

describe('/metrics through the master', () => {
  it('sums both API workers: requests, method calls, latency counts and errors add up', async () => {
    const before = await scrape();
    const N = 20;
    for (let i = 0; i < N; i++) expect((await get(core.ports.api, `/${username}/streams`, { authorization: token })).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await get(core.ports.api, `/${username}/streams`, { authorization: 'bad-token' })).status).toBe(403);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>): number => sample(after, name, labels) - sample(before, name, labels);
    expect(sample(after, 'homecore_worker_up', { role: 'api' })).toBe(2);
    expect(sample(after, 'homecore_metrics_workers_answered', {})).toBe(1);
    expect(delta('homecore_http_requests_total', { role: 'api', method_id: 'streams.get', status: '200' })).toBe(N);
    expect(delta('homecore_http_request_duration_seconds_count', { role: 'api', method_id: 'streams.get' })).toBe(N + 4);
    expect(delta('homecore_api_calls_total', { method_id: 'streams.get', status: '200', transport: 'http' })).toBe(N);
    expect(delta('homecore_http_errors_total', { role: 'api', method_id: 'streams.get', error_id: 'invalid-access-token' })).toBe(4);
    // Audit lines of those reads, buffered, summed over both workers.
    expect(delta('homecore_audit_lines_total', { outcome: 'buffered' })).toBeGreaterThanOrEqual(N);
  });

  it('reports event-loop lag, pool and rqlite health, the audit check, webhook queue and the master gauges', async () => {
    const text = await scrape();
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{role="api"\} [\d.e-]+$/m);
    expect(sample(text, 'homecore_check_up', { role: 'api', check: 'postgresql' })).toBe(1);
    expect(sample(text, 'homecore_check_up', { role: 'api', check: 'platformDb' })).toBe(1);
    expect(sample(text, 'homecore_check_up', { role: 'api', check: 'audit' })).toBe(1);
    expect(sample(text, 'homecore_db_pool_connections', { role: 'api', state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^homecore_webhook_queue\{role="api",state="in_flight"\} 0$/m);
    expect(sample(text, 'homecore_core_ready', {})).toBe(1);
    // The audit path is one of /ready's checks.
    const ready = await httpStatus(core.ports.api, '/ready');
    expect((ready.body as { checks: Record<string, { ok: boolean }> }).checks['audit']).toMatchObject({ ok: true });
    // The HFS and previews workers answer too.
    expect(sample(text, 'homecore_worker_up', { role: 'hfs' })).toBe(1);
    expect(sample(text, 'homecore_worker_up', { role: 'previews' })).toBe(1);
    // No backup recorded yet: an infinite age (an age alert fires). Then the backup helper's stamp.
    expect(text).toMatch(/^homecore_backup_age_seconds \+Inf$/m);
    expect(sample(text, 'homecore_backup_last_success_timestamp_seconds', {})).toBe(0);
    markBackupDone(loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: core.varDir } }), Date.now() - 3_600_000);
    const age = sample(await scrape(), 'homecore_backup_age_seconds', {});
    expect(age).toBeGreaterThanOrEqual(3600);
    expect(age).toBeLessThan(3600 + 600);
  });

  it('is not on the public API port, and answers only GET /metrics', async () => {
    expect((await httpStatus(core.ports.api, '/metrics')).status).toBe(404);
    expect((await get(metricsPort, '/other')).status).toBe(404);
  });
});
