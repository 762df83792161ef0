import { errors } from '../errors/index.js';

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
  /**
   * Multipart bodies (Pryv API §3.2), files going to the method as `ctx.uploads`:
   * - `with-event`: JSON or multipart with exactly one non-file part, the params (events.create);
   * - `files-only`: multipart of files only, no params in the body (add files to an event).
   * Absent: multipart refused with 415.
   */
  uploads?: 'with-event' | 'files-only';
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
      return path['id'] === undefined ? { update: body ?? {} } : { id: path['id'], update: body ?? {} };
    case 'path+query':
      return { ...query, ...path };
    case 'path+body':
      return { ...(typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}), ...path };
  }
}

/** Finds the route for a verb and a path under `/{username}` (used by the `_method` form override). */
export function matchRoute(routes: RouteSpec[], verb: string, path: string): { spec: RouteSpec; params: Record<string, string> } | null {
  const parts = path.split('/').filter((p) => p !== '');
  for (const spec of routes) {
    if (spec.verb !== verb) continue;
    const pattern = spec.path.split('/').filter((p) => p !== '');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((seg, i) => {
      const part = parts[i] ?? '';
      if (seg.startsWith(':')) {
        params[seg.slice(1)] = decodeSegment(part);
        return true;
      }
      return seg === part;
    });
    if (ok) return { spec, params };
  }
  return null;
}

/** A path segment decoded; bad percent-encoding is the client's error, not a URIError (500). */
function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw errors.invalidRequestStructure('Malformed URL.');
  }
}
