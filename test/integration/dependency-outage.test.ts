import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServices } from '../../src/worker/services.js';
import { buildApiApp } from '../../src/http/api-app.js';
import { Readiness } from '../../src/health/readiness.js';
import { createLogger } from '../../src/logging/logger.js';
import { loadConfig } from '../../src/config/index.js';
import { createEngine } from '../../src/storage/engine-registry.js';
import { RqliteClient } from '../../src/platform/rqlite-client.js';
import { createApiTestApp, type ApiTestApp } from '../helpers/api-app.js';
import { freePort } from '../helpers/free-port.js';

/** Non-negotiable: a dependency outage answers 503 api-unavailable with the envelope, never a 500. */
let t: ApiTestApp;
let down: FastifyInstance;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  t = await createApiTestApp();
  const logger = createLogger({ level: 'silent', role: 'test' });
  // A PostgreSQL and an rqlited that are not there: nothing listens on these ports.
  const config = loadConfig({
    env: {
      HOMECORE_PATHS__VAR_DIR: t.config.paths.varDir,
      HOMECORE_STORAGES__POSTGRESQL__PORT: String(await freePort()),
      HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false',
      HOMECORE_STORAGES__POSTGRESQL__PASSWORD: 'nobody-listens',
      HOMECORE_STORAGES__POSTGRESQL__CONNECT_TIMEOUT_MS: '500',
    },
  });
  const engine = await createEngine(config, logger);
  const rqlite = new RqliteClient({ url: `http://127.0.0.1:${await freePort()}`, requestTimeoutMs: 500, retryBudgetMs: 300, logger });
  const services = buildServices({ config: t.config, logger, secrets: t.services.secrets, engine, rqlite });
  down = await buildApiApp(services, new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 }));
  await down.ready();
  cleanup = async () => {
    await down.close();
    await services.close();
    await engine.close();
    await rqlite.close();
  };
});
afterAll(async () => {
  await cleanup?.();
  await t?.close();
});

describe('dependency outages', () => {
  it.each([
    ['a user route (PostgreSQL down)', 'GET', '/someuser1/access-info'],
    ['a batch call (PostgreSQL down)', 'POST', '/someuser1/'],
    ['a discovery route (platform DB down)', 'GET', '/reg/cores?username=someuser1'],
    ['a username check (platform DB down)', 'GET', '/reg/someuser1/check_username'],
  ])('%s → 503 api-unavailable with meta', async (_n, method, url) => {
    const res = await down.inject({ method: method as 'GET' | 'POST', url, headers: { authorization: 'x' }, ...(method === 'POST' ? { payload: [] } : {}) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.id).toBe('api-unavailable');
    expect(res.json().meta.serverTime).toBeTypeOf('number');
    expect(res.body).not.toMatch(/ECONNREFUSED|at .*\.js/);
  });
});
