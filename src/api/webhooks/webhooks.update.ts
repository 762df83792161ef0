import { Type } from '@sinclair/typebox';
import { errors } from '../../errors/index.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { checkScopes, loadManagedWebhook, ScopesSchema, StateSchema, toApiWebhook } from './shared.js';

const PROTECTED = [
  'id', 'accessId', 'url', 'runCount', 'failCount', 'lastRun', 'runs', 'currentRetries', 'maxRetries', 'minIntervalMs',
  'created', 'createdBy', 'modified', 'modifiedBy',
] as const;

/**
 * Pryv API §3 `webhooks.update`: only `state` and `scopes` change; other webhook fields → 403 (as
 * the reference), unknown keys → 400. Setting `active` resets currentRetries (a webhook turned
 * inactive by failures gets its full retry budget back).
 */
export default defineMethod({
  id: 'webhooks.update',
  auth: 'access',
  params: Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      update: Type.Object(
        {
          state: Type.Optional(StateSchema),
          scopes: Type.Optional(Type.Union([ScopesSchema, Type.Null()])),
          // Declared so they reach the handler and get 403 rather than "unknown parameter".
          ...Object.fromEntries(PROTECTED.map((k) => [k, Type.Optional(Type.Unknown())])),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const refused = PROTECTED.filter((k) => (p.update as Record<string, unknown>)[k] !== undefined);
    if (refused.length > 0) throw errors.forbidden(`Read-only field(s) cannot be updated: ${refused.join(', ')}`, { data: { fields: refused } });
    const { user } = await loadManagedWebhook(ctx, p.id);
    const { state, scopes } = p.update;
    await checkScopes(ctx, scopes);
    const updated = await ctx.services.stores.webhooks.update(user.id, p.id, {
      ...(state === undefined ? {} : { state }),
      ...(scopes === undefined ? {} : { scopes }),
      ...(state === 'active' ? { currentRetries: 0 } : {}),
      modified: nowSeconds(),
      modifiedBy: authorOf(ctx),
    });
    if (updated === null) throw errors.unknownResource('webhook', p.id);
    return { webhook: toApiWebhook(updated) };
  },
});
