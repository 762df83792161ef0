import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSafeInput, INPUT_LIMITS } from '../../../src/validation/input-limits.js';
import { boundIntegers, checkParams, compileParams } from '../../../src/validation/validation.js';
import { loadConfig } from '../../../src/config/index.js';
import { ApiError } from '../../../src/errors/index.js';
import { Readiness } from '../../../src/health/readiness.js';
import { buildApp } from '../../../src/http/app.js';
import { createLogger } from '../../../src/logging/logger.js';
import { Type } from '@sinclair/typebox';

const config = loadConfig({ env: { HOMECORE_HTTP__BODY_LIMIT_BYTES: String(1024 * 1024) } });
const logLines: string[] = [];
const logger = createLogger({ level: 'debug', role: 'api', destination: { write: (s: string) => void logLines.push(s) } });
let app: FastifyInstance;
let port = 0;
beforeAll(async () => {
  const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });
  app = await buildApp({ config, logger, role: 'api', readiness });
  app.post('/test/:id', async (req) => ({ got: req.body }));
  app.get('/test/:id', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app.close();
});

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
};
const thrown = (f: () => void): ApiError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('did not throw');
};

describe('assertSafeInput', () => {
  it.each<[string, unknown, string]>([
    ['NUL in a value', { a: 'x\u0000y' }, 'invalid-parameters-format'],
    ['NUL in a key', { 'a\u0000': 1 }, 'invalid-parameters-format'],
    ['a lone high surrogate', ['\ud800'], 'invalid-parameters-format'],
    ['a lone low surrogate in a key', { '\udc00x': 1 }, 'invalid-parameters-format'],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, 'invalid-parameters-format'],
    ['NaN', [Number.NaN], 'invalid-parameters-format'],
    [`nesting deeper than ${INPUT_LIMITS.maxDepth}`, nested(INPUT_LIMITS.maxDepth + 1), 'invalid-request-structure'],
    ['100,000 levels (no stack overflow)', nested(100_000), 'invalid-request-structure'],
    ['too many keys', Object.fromEntries(Array.from({ length: INPUT_LIMITS.maxKeysPerObject + 1 }, (_, i) => [`k${i}`, i])), 'invalid-request-structure'],
  ])('refuses %s', (_n, value, id) => expect(thrown(() => assertSafeInput(value)).id).toBe(id));

  it('names where the problem is', () => {
    expect(thrown(() => assertSafeInput({ a: [1, { b: 'x\u0000' }] })).data).toEqual([expect.objectContaining({ path: '#/a/1/b', param: 'a' })]);
    expect(thrown(() => assertSafeInput({ a: { 'k\u0000': 1 } })).data).toEqual([expect.objectContaining({ path: '#/a/<invalid key>' })]);
    expect(thrown(() => assertSafeInput([[Number.NaN]])).data).toEqual([expect.objectContaining({ path: '#/0/0' })]);
    expect(thrown(() => assertSafeInput('\ud800')).data).toEqual([expect.objectContaining({ path: '#' })]);
  });

  it.each<[string, unknown]>([
    ['paired surrogates (emoji)', { '😀': '😀 ok' }],
    [`nesting of exactly ${INPUT_LIMITS.maxDepth}`, nested(INPUT_LIMITS.maxDepth)],
    ['huge finite numbers', [1e308, -1e308, Number.MAX_SAFE_INTEGER * 1000]],
    ['exactly the key limit', Object.fromEntries(Array.from({ length: INPUT_LIMITS.maxKeysPerObject }, (_, i) => [`k${i}`, i]))],
    ['buffers', Buffer.from([0, 0xff])],
  ])('accepts %s', (_n, value) => expect(() => assertSafeInput(value)).not.toThrow());
});

describe('method params', () => {
  const compiled = compileParams(Type.Object({ skip: Type.Optional(Type.Integer({ minimum: 0 })), t: Type.Optional(Type.Number()) }));
  it.each([{ skip: '1e999' }, { skip: '1e20' }, { t: '-1e999' }, { skip: 'x' }])('refuses the query %j', (q) =>
    expect(thrown(() => checkParams(compiled, { ...q }, true)).id).toBe('invalid-parameters-format'),
  );
  it('accepts bounded values', () => expect(() => checkParams(compiled, { skip: String(Number.MAX_SAFE_INTEGER), t: '1e300' }, true)).not.toThrow());
  it('bounds integers that set no bound of their own, and keeps the bounds that are set', () => {
    expect(boundIntegers({ type: 'integer' })).toEqual({ type: 'integer', maximum: Number.MAX_SAFE_INTEGER, minimum: -Number.MAX_SAFE_INTEGER });
    expect(boundIntegers({ type: 'integer', minimum: 0, maximum: 9 })).toEqual({ type: 'integer', minimum: 0, maximum: 9 });
    expect(boundIntegers({ type: 'number' })).toEqual({ type: 'number' });
  });
});

describe('at the edge of every route', () => {
  it.each<[string, string, string | undefined, string]>([
    ['NUL in a path id', '/test/ab%00cd', undefined, 'invalid-parameters-format'],
    ['NUL in a query value', '/test/x?a=%00', undefined, 'invalid-parameters-format'],
    ['NUL in a query key', '/test/x?a%00=1', undefined, 'invalid-parameters-format'],
    ['NUL as a JSON key', '/test/x', '{"profile":{"a\\u0000":1}}', 'invalid-parameters-format'],
    ['a lone surrogate in JSON', '/test/x', '{"a":"\\ud800"}', 'invalid-parameters-format'],
    ['1e999 in JSON', '/test/x', '{"a":1e999}', 'invalid-parameters-format'],
    ['deep JSON', '/test/x', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'invalid-request-structure'],
  ])('%s → 400', async (_n, url, body, id) => {
    const res = await app.inject(body === undefined ? { method: 'GET', url } : { method: 'POST', url, payload: body, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe(id);
  });

  it('a client gone mid-body is logged at info as a client error, not as an outage', async () => {
    logLines.length = 0;
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('POST /test/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":"');
        setTimeout(() => s.destroy(), 100);
      });
      s.on('close', () => resolve());
    });
    for (let i = 0; i < 50 && !logLines.some((l) => l.includes('request completed')); i++) await new Promise((r) => setTimeout(r, 20));
    const lines = logLines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.msg.includes('client closed the request'))).toBe(true);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(logLines.join('\n')).not.toContain('unavailable');
  });
});
