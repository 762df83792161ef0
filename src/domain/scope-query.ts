import { buildEventsQuery, type ReadScope } from './events-query.js';
import type { PreparedScope, ScopeKind } from './scope-match.js';
import { errors, type ApiError } from '../errors/index.js';

/**
 * A subscription scope's query (Socket.IO `subscribe`, webhook `scopes`; docs/api.md#scoped-subscriptions)
 * resolved against an access like events.get params: the same keys (`streams, types, content,
 * clientData`), unknown streams → 400 `unknown-referenced-resource`, unreadable → 403 `forbidden`.
 */

export interface ScopeSpec { key: string; kind: ScopeKind; query: Record<string, unknown> }

const QUERY_KEYS = new Set(['streams', 'types', 'content', 'clientData']);

export function invalidScope(message: string): ApiError {
  return errors.invalidRequestStructure(message);
}

export function resolveScope(scope: ReadScope, s: ScopeSpec): PreparedScope {
  const extra = Object.keys(s.query).filter((k) => !QUERY_KEYS.has(k));
  if (extra.length > 0) throw invalidScope(`Scope "${s.key}": unknown query key(s) ${extra.join(', ')} (streams, types, content, clientData).`);
  // Access changes are relayed as they are: permissions say what a subscriber may call, not what it hears of.
  if (s.kind === 'accesses') return { kind: s.kind, query: s.query, resolved: null };
  const q = s.query;
  const types = q['types'];
  if (types !== undefined && (!Array.isArray(types) || !types.every((t): t is string => typeof t === 'string'))) {
    throw invalidScope(`Scope "${s.key}": types must be an array of strings.`);
  }
  const resolved = buildEventsQuery({ streams: q['streams'], types, content: q['content'], clientData: q['clientData'] }, scope, 0);
  return { kind: s.kind, query: s.query, resolved: { streams: resolved.streams, types: resolved.types, ...(resolved.content === undefined ? {} : { content: resolved.content }) } };
}
