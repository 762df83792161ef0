import type { PreparedScope, ScopeKind } from '../domain/scope-match.js';
import { invalidScope, resolveScope, type ScopeSpec } from '../domain/scope-query.js';
import type { RequestContext } from '../api/context.js';
import { loadScope } from '../api/stream-scope.js';

/**
 * The scoped-subscription messages of a socket (`subscribe`, `unsubscribe`, `getSubscriptions`),
 * as the reference's socket-io Manager handles them (docs/api.md#scoped-subscriptions). A socket's
 * scopes live on the socket (this worker) and go with it.
 */

export const SUBSCRIPTION_METHODS = new Set(['subscribe', 'unsubscribe', 'getSubscriptions']);
const KINDS = new Set<string>(['events', 'streams', 'accesses']);
/** Keys a socket may hold at once: scopes are evaluated on every change of the user. */
const MAX_SCOPES = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = invalidScope;

/** `{key, kind?, query?}` or `{scopes: {<key>: {kind?, query?}}}`. */
function specs(params: unknown): ScopeSpec[] {
  const spec = (key: string, v: Record<string, unknown>): ScopeSpec => {
    const kind = v['kind'] ?? 'events';
    if (typeof kind !== 'string' || !KINDS.has(kind)) throw invalid(`Scope "${key}": kind must be events, streams or accesses.`);
    const query = v['query'] ?? {};
    if (!isObject(query)) throw invalid(`Scope "${key}": query must be an object.`);
    return { key, kind: kind as ScopeKind, query };
  };
  if (isObject(params) && isObject(params['scopes'])) {
    return Object.entries(params['scopes']).map(([key, v]) => {
      if (!isObject(v)) throw invalid(`Scope "${key}" must be an object.`);
      return spec(key, v);
    });
  }
  if (isObject(params) && typeof params['key'] === 'string' && params['key'] !== '') return [spec(params['key'], params)];
  throw invalid('subscribe takes {key, kind?, query} or {scopes: {<key>: {kind?, query}}}.');
}

/** Resolved against the caller's access and the user's streams as they are now. */
async function prepare(ctx: RequestContext, s: ScopeSpec): Promise<PreparedScope> {
  return resolveScope(await loadScope(ctx), s);
}

/** Runs one subscription message on the socket's scopes; answers the ack's result. */
export async function subscriptionCall(ctx: RequestContext, scopes: Map<string, PreparedScope>, method: string, params: unknown): Promise<Record<string, unknown>> {
  if (method === 'getSubscriptions') {
    return { scopes: Object.fromEntries([...scopes].map(([key, s]) => [key, { kind: s.kind, query: s.query }])) };
  }
  if (method === 'unsubscribe') {
    const p = isObject(params) ? params : {};
    if (p['all'] === true) scopes.clear();
    else if (Array.isArray(p['keys'])) for (const k of p['keys']) scopes.delete(String(k));
    else if (typeof p['key'] === 'string') scopes.delete(p['key']);
    else throw invalid('unsubscribe takes {key}, {keys} or {all: true}.');
    return { ok: true, keys: [...scopes.keys()] };
  }
  // subscribe: all or nothing: every scope is resolved before any is stored.
  const prepared = await Promise.all(specs(params).map(async (s) => [s.key, await prepare(ctx, s)] as const));
  if (new Set([...scopes.keys(), ...prepared.map(([k]) => k)]).size > MAX_SCOPES) throw invalid(`A socket holds at most ${MAX_SCOPES} scopes.`);
  for (const [key, scope] of prepared) scopes.set(key, scope);
  return { ok: true, keys: [...scopes.keys()] };
}
