import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { backupStampPath, lastBackupAt, markBackupDone } from '../../../src/metrics/backup-stamp.js';
import { metricsBindAddress } from '../../../src/metrics/metrics-server.js';
import { WorkerMetrics } from '../../../src/metrics/worker-metrics.js';
import { projectRoot } from '../../../src/util/project-root.js';

/** Metrics pieces without a cluster (the master's sum is in test/integration/metrics.test.ts). */

const varDir = mkdtempSync(join(tmpdir(), 'homecore-metrics-'));
afterAll(() => rmSync(varDir, { recursive: true, force: true }));

describe('metricsBindAddress', () => {
  it.each([
    [{}, '127.0.0.1'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '127.0.0.3' }, '127.0.0.3'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '0.0.0.0' }, '127.0.0.1'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '0.0.0.0', HOMECORE_METRICS__BIND_ADDRESS: '10.0.0.5' }, '10.0.0.5'],
  ])('%j → %s (loopback unless named)', (env, address) => {
    expect(metricsBindAddress(loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir, ...env } }))).toBe(address);
  });
});

describe('backup stamp', () => {
  it('is absent until markBackupDone writes it, then reads back in seconds', () => {
    const config = loadConfig({ env: { HOMECORE_PATHS__VAR_DIR: varDir } });
    expect(backupStampPath(config)).toBe(join(varDir, 'backups', 'last-success'));
    expect(lastBackupAt(config)).toBeNull();
    markBackupDone(config, 1_796_169_600_500);
    expect(lastBackupAt(config)).toBe(1_796_169_600);
    expect(readdirSync(join(varDir, 'backups'))).toEqual(['last-success']);
  });
});

describe('WorkerMetrics', () => {
  it('reads the error id of an API error body, and nothing else', () => {
    expect(WorkerMetrics.errorIdOf('{"error":{"id":"unknown-resource","message":"x"},"meta":{}}')).toBe('unknown-resource');
    expect(WorkerMetrics.errorIdOf('{"events":[]}')).toBeNull();
    expect(WorkerMetrics.errorIdOf(null)).toBeNull();
  });

  it('gauges read their sources at scrape time, one sample per label set', async () => {
    const m = new WorkerMetrics('api', { defaults: false });
    let depth = 3;
    m.gauge('homecore_test_depth', 'test', 'sum', () => depth, { state: 'a' });
    m.gauge('homecore_test_depth', 'test', 'sum', () => undefined, { state: 'b' });
    expect(await m.registry.metrics()).toMatch(/^homecore_test_depth\{role="api",state="a"\} 3$/m);
    depth = 5;
    const text = await m.registry.metrics();
    expect(text).toMatch(/^homecore_test_depth\{role="api",state="a"\} 5$/m);
    expect(text).not.toMatch(/state="b"/);
  });

  it('every homecore_* metric of the Grafana dashboard is one the code exports', () => {
    const root = projectRoot();
    const dashboard = readFileSync(join(root, 'docs', 'grafana-dashboard.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/homecore_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
    const code = ['src/metrics/worker-metrics.ts', 'src/metrics/metrics-server.ts', 'src/worker/worker-gauges.ts', 'src/http/api-app.ts']
      .map((f) => readFileSync(join(root, f), 'utf8'))
      .join('\n');
    expect([...used].filter((name) => !code.includes(`'${name}'`))).toEqual([]);
    expect(used.size).toBeGreaterThan(8);
  });
});
