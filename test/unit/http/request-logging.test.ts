import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { ApiError } from '../../../src/errors/index.js';
import { Readiness } from '../../../src/health/readiness.js';
import { buildApp } from '../../../src/http/app.js';
import { createLogger } from '../../../src/logging/logger.js';

/** `logging.requests` (issue #16, quieter logs): off, errors (5xx only) or all. */
async function requestLines(mode: string): Promise<Record<string, unknown>[]> {
  const config = loadConfig({ env: { HOMECORE_LOGGING__REQUESTS: mode } });
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', role: 'api', destination: { write: (s: string) => void lines.push(s) } });
  // Draining: /ready answers 503, by design.
  const readiness = new Readiness({ coreState: () => ({ draining: true, failedRoles: [] }), dependencies: {}, cacheMs: 0 });
  const app = await buildApp({ config, logger, role: 'api', readiness });
  app.get('/t/ok', async () => ({ ok: true }));
  app.get('/t/forbidden', async () => {
    throw new ApiError('forbidden', 'no');
  });
  app.get('/t/down', async () => {
    throw new ApiError('unexpected-error', 'store down', { httpStatus: 503 });
  });
  for (const path of ['/t/ok', '/t/forbidden', '/t/down', '/t/ok?auth=secret-token', '/ready']) {
    const res = await app.inject({ method: 'GET', url: path });
    if (path === '/ready') expect(res.statusCode).toBe(503);
  }
  await app.close();
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['msg'] === 'incoming request' || r['msg'] === 'request completed');
}

const statusOf = (r: Record<string, unknown>): unknown => (r['res'] as { statusCode?: unknown } | undefined)?.statusCode;

describe('per-request log lines', () => {
  it('the default is errors: one error line per 5xx answer, none for 2xx, 4xx or a 503 of /ready', async () => {
    expect(loadConfig({ env: {} }).logging.requests).toBe('errors');
    const lines = await requestLines('errors');
    expect(lines.map((r) => [r['msg'], r['level'], statusOf(r)])).toEqual([['request completed', 50, 503]]);
    expect(lines[0]?.['req']).toMatchObject({ method: 'GET', url: '/t/down' });
    expect(typeof lines[0]?.['responseTime']).toBe('number');
  });

  it('off: no request line at all', async () => {
    expect(await requestLines('off')).toEqual([]);
  });

  it('all: an incoming and a completed line per request, query secrets redacted', async () => {
    const lines = await requestLines('all');
    expect(lines.filter((r) => r['msg'] === 'incoming request')).toHaveLength(5);
    expect(lines.filter((r) => r['msg'] === 'request completed').map(statusOf)).toEqual([200, 403, 503, 200, 503]);
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('refuses an unknown mode', () => {
    expect(() => loadConfig({ env: { HOMECORE_LOGGING__REQUESTS: 'sometimes' } })).toThrow(/logging\.requests/);
  });
});
