import { Type, type TUnknown, type TOptional } from '@sinclair/typebox';
import type { RequestContext } from './context.js';
import { forbidden } from './stream-scope.js';

/**
 * Read-only fields of the `update` of events.update, streams.update and accesses.update: the
 * reference's schema fields outside each method's `alterableProperties`. Sent in an update they
 * answer 403 forbidden (`data.fields`), or, with config `updates.ignoreProtectedFields`, are
 * dropped with a warning in the server log (the reference's migration aid for old clients).
 */
export const PROTECTED_STREAM_FIELDS = ['id', 'children', 'created', 'createdBy', 'modified', 'modifiedBy'] as const;
export const PROTECTED_ACCESS_FIELDS = ['id', 'token', 'type', 'apiEndpoint', 'lastUsed', 'calls', 'deleted', 'integrity', 'created', 'createdBy', 'modified', 'modifiedBy'] as const;

/** Schema entries declaring `fields`, so they pass validation and get the 403 rather than "unknown parameter". */
export function protectedFieldsSchema<K extends string>(fields: readonly K[]): Record<K, TOptional<TUnknown>> {
  return Object.fromEntries(fields.map((k) => [k, Type.Optional(Type.Unknown())])) as Record<K, TOptional<TUnknown>>;
}

export function withoutProtectedFields<U extends object>(ctx: RequestContext, id: string, update: U, fields: readonly string[]): U {
  const sent = update as Record<string, unknown>;
  const refused = fields.filter((k) => sent[k] !== undefined);
  if (refused.length === 0) return update;
  if (!ctx.services.config.updates.ignoreProtectedFields) {
    throw forbidden(`Read-only field(s) cannot be updated: ${refused.join(', ')}`, { fields: refused });
  }
  ctx.services.logger.warn({ method: ctx.methodId, id, fields: refused }, `${ctx.methodId}: read-only fields ignored (updates.ignoreProtectedFields)`);
  const kept: Record<string, unknown> = { ...sent };
  for (const k of refused) delete kept[k];
  return kept as U;
}
