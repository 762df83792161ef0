import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { ApiError } from '../../../src/errors/index.js';
import { Readiness } from '../../../src/health/readiness.js';
import { buildApp } from '../../../src/http/app.js';
import { API_VERSION } from '../../../src/domain/meta.js';
import { createLogger } from '../../../src/logging/logger.js';
import type { CoreState } from '../../../src/notifications/ipc.js';
import type { DependencyHealth } from '../../../src/storage/interfaces/storage-engine.js';

const BODY_LIMIT = 2048;
const config = loadConfig({ env: { HOMECORE_HTTP__BODY_LIMIT_BYTES: String(BODY_LIMIT), HOMECORE_SERVICE__SERIAL: 'serial-42' } });
const logLines: string[] = [];
const logger = createLogger({ level: 'info', role: 'api', destination: { write: (s: string) => void logLines.push(s) } });
const state: CoreState = { draining: false, failedRoles: [] };
let pgHealth: DependencyHealth = { ok: true, detail: 'writable' };

let app: FastifyInstance;
beforeAll(async () => {
  const readiness = new Readiness({ coreState: () => state, dependencies: { postgresql: async () => pgHealth }, cacheMs: 0 });
  app = await buildApp({ config, logger, role: 'api', readiness });
  app.post('/test/echo', async (req) => ({ got: req.body }));
  app.get('/test/boom', async () => {
    throw new Error('db password=hunter2 at /srv/secret/path');
  });
  app.get('/test/api-error', async () => {
    throw new ApiError('forbidden', 'You cannot do that', { data: { streamId: 's1' } });
  });
  app.post(
    '/test/validated',
    { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false } } },
    async () => ({ ok: true }),
  );
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

interface ErrorBody {
  error: { id: string; message: string; data?: unknown };
  meta: { apiVersion: string; serverTime: number; serial: string };
}

function expectMeta(body: ErrorBody): void {
  expect(body.meta.apiVersion).toBe(API_VERSION);
  expect(body.meta.serial).toBe('serial-42');
  expect(Math.abs(body.meta.serverTime - Date.now() / 1000)).toBeLessThan(60);
}

describe('error handler', () => {
  it('unknown route → 404 unknown-resource with meta, without the query string', async () => {
    const res = await app.inject({ method: 'GET', url: '/no/such/route?auth=secret-token' });
    expect(res.statusCode).toBe(404);
    const body = res.json<ErrorBody>();
    expect(body.error.id).toBe('unknown-resource');
    expect(body.error.message).toBe('Unknown route: GET /no/such/route');
    expect(res.body).not.toContain('secret-token');
    expectMeta(body);
    expect(res.headers['api-version']).toBe(API_VERSION);
  });

  it('malformed JSON → 400 invalid-request-structure', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"a": ' });
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBody>();
    expect(body.error.id).toBe('invalid-request-structure');
    expectMeta(body);
  });

  it('empty JSON body → 400 invalid-request-structure', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().error.id).toBe('invalid-request-structure');
  });

  it('a body within the limit is accepted', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { s: 'x'.repeat(BODY_LIMIT - 100) } });
    expect(res.statusCode).toBe(200);
  });

  it('a body over the limit → 413 with the limit in data', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { s: 'x'.repeat(BODY_LIMIT + 10) } });
    expect(res.statusCode).toBe(413);
    const body = res.json<ErrorBody>();
    expect(body.error.id).toBe('invalid-request-structure');
    expect(body.error.data).toEqual({ limit: BODY_LIMIT });
    expectMeta(body);
  });

  it('an unsupported content type → 415 unsupported-content-type', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/x-nope' }, payload: 'x' });
    expect(res.statusCode).toBe(415);
    expect(res.json<ErrorBody>().error.id).toBe('unsupported-content-type');
    expect(res.json<ErrorBody>().error.message).toContain('application/x-nope');
  });

  it('a URL longer than limits.queryMaxBytes → 414 with a JSON error, not a bare 431', async () => {
    const res = await app.inject({ method: 'GET', url: `/test/api-error?q=${'x'.repeat(config.limits.queryMaxBytes)}` });
    expect(res.statusCode).toBe(414);
    expect(res.json<ErrorBody>().error).toMatchObject({ id: 'invalid-request-structure', data: { limit: config.limits.queryMaxBytes } });
  });

  it('a schema violation → 400 invalid-parameters-format with details', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/validated', payload: { other: 1 } });
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBody>();
    expect(body.error.id).toBe('invalid-parameters-format');
    expect(Array.isArray(body.error.data)).toBe(true);
    expect((body.error.data as unknown[]).length).toBeGreaterThan(0);
  });

  it('an ApiError keeps its id, status, message and data', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/api-error' });
    expect(res.statusCode).toBe(403);
    expect(res.json<ErrorBody>().error).toEqual({ id: 'forbidden', message: 'You cannot do that', data: { streamId: 's1' } });
  });

  it('a plain Error → 500 unexpected-error, logged with the request id, never leaked', async () => {
    logLines.length = 0;
    const res = await app.inject({ method: 'GET', url: '/test/boom', headers: { 'x-request-id': 'req-boom-1' } });
    expect(res.statusCode).toBe(500);
    const body = res.json<ErrorBody>();
    expect(body.error).toEqual({ id: 'unexpected-error', message: 'An unexpected error occurred' });
    expect(res.body).not.toMatch(/hunter2|\/srv\/secret|stack|at .*\.ts/);
    expectMeta(body);
    expect(res.headers['x-request-id']).toBe('req-boom-1');
    // the operator still gets the details
    const logged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r['msg'] === 'unexpected error');
    expect(logged).toBeDefined();
    expect(logged?.['reqId']).toBe('req-boom-1');
    expect(JSON.stringify(logged?.['err'])).toContain('hunter2');
  });
});

describe('headers', () => {
  it('every answer carries api-version and a request id', async () => {
    for (const url of ['/health', '/no/such/route', '/test/boom']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.headers['api-version']).toBe(API_VERSION);
      expect(String(res.headers['x-request-id'])).toMatch(/^[\w.-]{1,64}$/);
    }
  });

  it('a client request id is kept only when well-formed', async () => {
    expect((await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc.DEF-1_2' } })).headers['x-request-id']).toBe('abc.DEF-1_2');
    const bad = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a b\r\nx' } });
    expect(bad.headers['x-request-id']).not.toBe('a b\r\nx');
    expect(String(bad.headers['x-request-id'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health routes', () => {
  it('/health answers 200 without consulting dependencies', async () => {
    pgHealth = { ok: false, detail: 'down' };
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', role: 'api' });
    expect(res.headers['cache-control']).toBe('no-store');
    pgHealth = { ok: true, detail: 'writable' };
  });

  it('/ready is 200 when every check passes and 503 naming the failing ones', async () => {
    const ok = await app.inject({ method: 'GET', url: '/ready' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ready', failing: [] });

    pgHealth = { ok: false, detail: 'read-only' };
    state.draining = true;
    const down = await app.inject({ method: 'GET', url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['cache-control']).toBe('no-store');
    expect(down.json<{ failing: { check: string }[] }>().failing.map((f) => f.check).sort()).toEqual(['draining', 'postgresql']);
    pgHealth = { ok: true, detail: 'writable' };
    state.draining = false;
  });

  it('HEAD /ready carries the status without a body', async () => {
    state.failedRoles = ['hfs'];
    const res = await app.inject({ method: 'HEAD', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toBe('');
    state.failedRoles = [];
  });
});

describe('router errors', () => {
  it('an over-long path segment gets a JSON 414 with the API envelope', async () => {
    const { buildApp } = await import('../../../src/http/app.js');
    const { Readiness } = await import('../../../src/health/readiness.js');
    const routed = await buildApp({
      config,
      logger,
      role: 'api',
      readiness: new Readiness({ coreState: () => state, dependencies: {}, cacheMs: 0 }),
    });
    routed.get('/:username/x', async () => ({ ok: true }));
    await routed.ready();
    const res = await routed.inject({ method: 'GET', url: `/${'a'.repeat(600)}/x` });
    expect(res.statusCode).toBe(414);
    expect(res.json<ErrorBody>().error.id).toBe('invalid-request-structure');
    expect(res.json<ErrorBody>().meta.apiVersion).toBe(API_VERSION);
    const bad = await routed.inject({ method: 'GET', url: '/%E0%A4%A/x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().error.id).toBe('invalid-request-structure');
    await routed.close();
  });
});
