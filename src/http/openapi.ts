import type { TSchema } from '@sinclair/typebox';
import type { MethodRegistry } from '../api/registry.js';
import type { RouteSpec } from '../api/routes.js';
import { API_VERSION } from '../domain/meta.js';
import { ADMIN_SECURITY_SCHEME, EXTRA_PATHS } from './openapi-extra.js';
import { MAIL_MFA_PATHS } from './openapi-mail-mfa.js';

type Json = Record<string, unknown>;

const ERROR_RESPONSE = {
  description: 'Error: `{error: {id, message, data?}, meta}` (docs/errors.md)',
  content: { 'application/json': { schema: { type: 'object', required: ['error', 'meta'] } } },
};

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

/**
 * OpenAPI 3.1 document generated from the method table: the same schemas validate requests, so the
 * document cannot drift from what the server accepts.
 */
export function openApiDocument(registry: MethodRegistry, routes: RouteSpec[], serverUrl: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const operationIds = new Set<string>();
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
    const op: Json = {
      operationId,
      tags: [r.method.split('.')[0] ?? 'api'],
      security: def.auth === 'public' ? [] : [{ token: [] }],
      responses: { [String(def.successStatus ?? 200)]: { description: 'Result object plus `meta`' }, default: ERROR_RESPONSE },
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
  }
  return {
    openapi: '3.1.0',
    info: { title: 'homecore (Pryv.io-compatible API)', version: API_VERSION },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Access token (bare, Bearer or Basic)' },
        admin: ADMIN_SECURITY_SCHEME,
      },
    },
    paths: { ...paths, ...EXTRA_PATHS, ...MAIL_MFA_PATHS },
  };
}
