import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Readiness } from '../../src/health/readiness.js';
import { buildHfsApp, buildPreviewsApp } from '../../src/http/role-apps.js';
import { routesOf } from '../../src/http/route-table.js';
import { createApiTestApp, type ApiTestApp } from '../helpers/api-app.js';

/**
 * `/openapi.json` covers every route of the API, HFS and previews apps (issue #11), each operation
 * with its answers described. The route lists come from the apps themselves (src/http/route-table.ts):
 * a route added without its OpenAPI entry (src/http/openapi-extra.ts, openapi-system.ts, or the
 * method table) fails here.
 */
type Json = Record<string, unknown>;
type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

let t: ApiTestApp;
let hfs: FastifyInstance;
let previews: FastifyInstance;
let doc: { paths: Record<string, Record<string, Operation>>; 'x-other-ports': Record<string, Record<string, Record<string, Operation>>>; components: { schemas: Json } };
beforeAll(async () => {
  t = await createApiTestApp();
  const readiness = new Readiness({ coreState: () => ({ draining: false, failedRoles: [] }), dependencies: {}, cacheMs: 0 });
  hfs = await buildHfsApp(t.services, readiness);
  previews = await buildPreviewsApp(t.services, readiness);
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(async () => {
  await previews?.close();
  await hfs?.close();
  await t?.close();
});

/** `/:username/events/:id.jpg` and `/{username}/events/{id}.jpg` both → `/{}/events/{}.jpg`. */
const fromFastify = (url: string): string => url.replace(/:[A-Za-z]+/g, '{}').replace(/\*/g, '{}');
const fromOpenApi = (path: string): string => path.replace(/\{[^}]+\}/g, '{}');

/** Verbs with no OpenAPI operation: HEAD mirrors GET (fastify adds it), QUERY has no operation field. */
const UNDESCRIBABLE = new Set(['HEAD', 'QUERY']);

function operationsOf(paths: Record<string, Record<string, Operation>>): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [path, item] of Object.entries(paths)) for (const [verb, op] of Object.entries(item)) out.set(`${verb.toUpperCase()} ${fromOpenApi(path)}`, op);
  return out;
}

describe('/openapi.json', () => {
  it('describes every route of the API, HFS and previews apps', () => {
    const main = operationsOf(doc.paths);
    const otherPorts = operationsOf(Object.assign({}, ...Object.values(doc['x-other-ports'])));
    const missing: string[] = [];
    let checked = 0;
    for (const [name, app, fallback] of [['api', t.app, null], ['hfs', hfs, null], ['previews', previews, otherPorts]] as const) {
      for (const r of routesOf(app)) {
        // `OPTIONS *` is the CORS preflight catch-all, answered for every path (docs/api.md#cors).
        if (UNDESCRIBABLE.has(r.method) || (r.method === 'OPTIONS' && r.url === '*')) continue;
        const key = `${r.method} ${fromFastify(r.url)}`;
        checked++;
        if (!main.has(key) && !(fallback?.has(key) ?? false)) missing.push(`${name}: ${r.method} ${r.url}`);
      }
    }
    expect(missing, 'routes missing from /openapi.json (src/http/openapi-*.ts)').toEqual([]);
    expect(checked).toBeGreaterThan(150);
  });

  it('gives every operation its answers, with a schema for each JSON or file body', () => {
    const all = [...operationsOf(doc.paths), ...operationsOf(Object.assign({}, ...Object.values(doc['x-other-ports'])))];
    const problems: string[] = [];
    for (const [key, op] of all) {
      const responses = Object.entries(op.responses ?? {}).filter(([code]) => code !== 'default');
      if (responses.length === 0) problems.push(`${key}: no response`);
      for (const [code, r] of responses) {
        const bodyless = ['204', '302', '304'].includes(code);
        if (!bodyless && (r.content === undefined || Object.values(r.content).some((c) => c.schema === undefined))) problems.push(`${key} ${code}: no schema`);
      }
    }
    expect(problems).toEqual([]);
    const ids = all.map(([, op]) => (op as { operationId?: string }).operationId);
    expect(ids.filter((id, i) => id === undefined || ids.indexOf(id) !== i)).toEqual([]);
  });

  it('resolves every schema reference', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((r) => !(r in doc.components.schemas))).toEqual([]);
  });

  it('describes method results by their data structures', () => {
    const events = doc.paths['/{username}/events']?.['get']?.responses?.['200']?.content?.['application/json']?.schema as Json;
    expect(JSON.stringify(events)).toContain('#/components/schemas/Event');
    const batch = doc.paths['/{username}']?.['post'];
    expect(batch?.responses?.['200']).toBeDefined();
  });
});
