import { Type } from '@sinclair/typebox';
import type { Access, User } from '../../domain/types.js';
import { canManageWebhook } from '../../domain/webhook-rules.js';
import { errors } from '../../errors/index.js';
import type { StoredWebhook } from '../../storage/interfaces/webhooks-store.js';
import type { RequestContext } from '../context.js';
import { hasQuery } from '../../domain/scope-match.js';
import { resolveScope } from '../../domain/scope-query.js';
import { loadScope } from '../stream-scope.js';

/** Shared pieces of the webhooks.* methods (Pryv API §2.6, §3). */

/** `{<key>: {kind?, query?}}` as socket subscriptions take them (§6); a scoped webhook gets the keys. */
export const ScopesSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 100 }),
  Type.Object(
    {
      kind: Type.Optional(Type.Union([Type.Literal('events'), Type.Literal('streams'), Type.Literal('accesses')])),
      query: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    },
    { additionalProperties: false },
  ),
  { minProperties: 1, maxProperties: 50 },
);

export const StateSchema = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);

export type ApiWebhook = Omit<StoredWebhook, 'secretSealed' | 'scopes'> & { scopes?: StoredWebhook['scopes'] };

/** A webhook as the API shows it: never its secret (only webhooks.create returns that, once). */
export function toApiWebhook(w: StoredWebhook): ApiWebhook {
  const { secretSealed: _s, scopes, ...rest } = w;
  void _s;
  return scopes === null ? rest : { ...rest, scopes };
}

export function caller(ctx: RequestContext): { user: User; access: Access } {
  if (ctx.user === null || ctx.access === null) throw errors.missingToken();
  return { user: ctx.user, access: ctx.access };
}

/** The webhook `id` if the caller may handle it: unknown → 404, another access's → 403 (reference). */
export async function loadManagedWebhook(ctx: RequestContext, id: string): Promise<{ user: User; webhook: StoredWebhook }> {
  const { user, access } = caller(ctx);
  const webhook = await ctx.services.stores.webhooks.get(user.id, id);
  if (webhook === null) throw errors.unknownResource('webhook', id);
  if (!canManageWebhook(access, webhook)) throw errors.forbidden('The webhook was not created by this access.');
  return { user, webhook };
}

/**
 * Scope queries are checked when set, like Socket.IO ones: resolved against the caller's access
 * (400 for a bad shape, unknown streams; 403 for unreadable ones). They are evaluated again against
 * the webhook's access at each change (src/webhooks/scoped-enqueue.ts).
 */
export async function checkScopes(ctx: RequestContext, scopes: StoredWebhook['scopes'] | undefined): Promise<void> {
  if (scopes === undefined || scopes === null) return;
  const entries = Object.entries(scopes).filter(([, s]) => hasQuery(s));
  if (entries.length === 0) return;
  const scope = await loadScope(ctx);
  for (const [key, s] of entries) resolveScope(scope, { key, kind: s.kind ?? 'events', query: s.query ?? {} });
}
