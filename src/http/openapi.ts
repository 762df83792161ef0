import type { TSchema } from '@sinclair/typebox';
import type { MethodRegistry } from '../api/registry.js';
import type { RouteSpec } from '../api/routes.js';
import type { Config } from '../config/index.js';
import { API_VERSION } from '../domain/meta.js';
import { MAIL_MFA_PATHS } from './openapi-mail-mfa.js';
import { REG_ADMIN_PATHS } from './openapi-reg-admin.js';
import { REGISTER_PATHS } from './openapi-extra.js';
import { COMPONENT_SCHEMAS, ERROR_RESPONSE, METHOD_RESULTS, jsonResponse, ref, type Json } from './openapi-schemas.js';
import { ADMIN_SECURITY_SCHEME, otherPortPaths, systemPaths } from './openapi-system.js';

type Paths = Record<string, Record<string, Json>>;

function clean(schema: unknown): Json {
  // TypeBox adds symbol keys only; JSON round trip keeps the plain JSON Schema.
  return JSON.parse(JSON.stringify(schema)) as Json;
}

function queryParameters(schema: Json, exclude: Set<string>): Json[] {
  const props = (schema['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries(props)
    .filter(([name]) => !exclude.has(name))
    .map(([name, s]) => ({ name, in: 'query', required: required.has(name), schema: s }));
}

/** Path items merged operation by operation (several sources may describe one path). */
function mergePaths(...sources: Paths[]): Paths {
  const out: Paths = {};
  for (const src of sources) for (const [path, item] of Object.entries(src)) out[path] = { ...(out[path] ?? {}), ...item };
  return out;
}

/** The routes of the method table (`/{username}/…`), with their params and result schemas. */
function methodPaths(registry: MethodRegistry, routes: RouteSpec[]): Paths {
  const paths: Paths = {};
  const operationIds = new Set<string>();
  const posted = new Set(routes.filter((r) => r.verb === 'POST').map((r) => r.path));
  for (const r of routes) {
    const def = registry.get(r.method);
    if (def === undefined) continue;
    const schema = clean(def.params as TSchema);
    const pathParams = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] ?? '');
    const url = `/{username}${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const parameters: Json[] = [
      { name: 'username', in: 'path', required: true, schema: { type: 'string' } },
      ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ];
    // One method may have two routes (events.update: PUT, and POST with files): ids must stay unique.
    const operationId = operationIds.has(r.method) ? `${r.method}.${r.verb.toLowerCase()}` : r.method;
    operationIds.add(operationId);
    const resultSchema = METHOD_RESULTS[r.method] ?? { type: 'object', properties: { meta: ref('Meta') } };
    const op: Json = {
      operationId,
      tags: [r.method.split('.')[0] ?? 'api'],
      security: def.auth === 'public' ? [] : [{ token: [] }],
      responses: { [String(def.successStatus ?? 200)]: jsonResponse(resultSchema, 'Result object plus `meta`'), default: ERROR_RESPONSE },
    };
    if (r.params === 'query' || r.params === 'path+query') {
      parameters.push(...queryParameters(schema, new Set(pathParams)));
    } else {
      const body = r.params === 'update' ? ((schema['properties'] as Record<string, Json> | undefined)?.['update'] ?? {}) : schema;
      const json = { 'application/json': { schema: body } };
      // Pryv API §3.2: files as multipart parts (with-event: plus one part holding the params as JSON).
      const multipart = { 'multipart/form-data': { schema: { type: 'object', additionalProperties: { type: 'string', format: 'binary' } } } };
      const content = r.uploads === 'files-only' ? multipart : r.uploads === 'with-event' ? { ...json, ...multipart } : json;
      op['requestBody'] = { required: r.params !== 'body' || r.uploads === 'files-only', content };
    }
    op['parameters'] = parameters;
    paths[url] = { ...(paths[url] ?? {}), [r.verb.toLowerCase()]: op };
    if (!posted.has(r.path)) {
      // Pryv API §1.3: a form POST with `_method` reaches a path that has no POST route of its own.
      posted.add(r.path);
      paths[url] = {
        ...paths[url],
        post: {
          operationId: `formOverride${url.replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase())}`,
          tags: ['form-override'],
          security: [{ token: [] }],
          description: 'Form override (`application/x-www-form-urlencoded` with `_method`, `_json`, `_auth`): dispatched to the route of that verb',
          parameters: parameters.slice(0, 1 + pathParams.length),
          requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { _method: { type: 'string' }, _json: { type: 'string' }, _auth: { type: 'string' } }, required: ['_method'] } } } },
          responses: { 200: jsonResponse({ type: 'object', properties: { meta: ref('Meta') } }, 'The answer of the route dispatched to'), default: ERROR_RESPONSE },
        },
      };
    }
  }
  return paths;
}

/**
 * OpenAPI 3.1 document: the method table (the same schemas validate requests, so it cannot drift),
 * plus every plain route of the API, HFS and previews apps (openapi-extra.ts, openapi-system.ts).
 * test/integration/openapi-coverage.test.ts checks that no route is missing.
 */
export function openApiDocument(registry: MethodRegistry, routes: RouteSpec[], config: Readonly<Config>): Json {
  return {
    openapi: '3.1.0',
    info: { title: 'homecore (Pryv.io-compatible API)', version: API_VERSION },
    servers: [{ url: config.platform.publicUrl }],
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Access token (bare, Bearer or Basic)' },
        admin: ADMIN_SECURITY_SCHEME,
      },
      schemas: COMPONENT_SCHEMAS,
    },
    paths: mergePaths(methodPaths(registry, routes), REGISTER_PATHS, systemPaths(config), MAIL_MFA_PATHS, REG_ADMIN_PATHS),
    'x-other-ports': otherPortPaths(config),
  };
}
