/**
 * HTTP verb + path (under `/{username}`) → method id, and where its params come from. The same
 * table serves fastify routing and the `_method` form override.
 * - query: the query string (coerced by the schema);
 * - body: the JSON body;
 * - update: `{id, update: body}`;
 * - path+query / path+body: path params merged over the query or body.
 */
export type ParamSource = 'query' | 'body' | 'update' | 'path+query' | 'path+body';

export interface RouteSpec {
  verb: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  method: string;
  params: ParamSource;
}

export function buildParams(spec: RouteSpec, pathParams: Record<string, string>, query: Record<string, unknown>, body: unknown): unknown {
  const { username: _u, ...path } = pathParams;
  void _u;
  switch (spec.params) {
    case 'query':
      return query;
    case 'body':
      return body ?? {};
    case 'update':
      return { id: path['id'], update: body ?? {} };
    case 'path+query':
      return { ...query, ...path };
    case 'path+body':
      return { ...(typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}), ...path };
  }
}
