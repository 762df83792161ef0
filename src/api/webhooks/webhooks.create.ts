import { Type } from '@sinclair/typebox';
import { newId } from '../../auth/crypto.js';
import { baseAccessId } from '../../domain/access-ids.js';
import { errors } from '../../errors/index.js';
import type { StoredWebhook } from '../../storage/interfaces/webhooks-store.js';
import { DuplicateKeyError } from '../../storage/interfaces/errors.js';
import { AllowedHosts, checkDestination } from '../../webhooks/destination.js';
import { newWebhookSecret } from '../../webhooks/signature.js';
import { authorOf, nowSeconds } from '../context.js';
import { defineMethod } from '../method.js';
import { caller, checkScopes, ScopesSchema, toApiWebhook } from './shared.js';

/**
 * Pryv API §3 `webhooks.create`, by app and shared accesses only (§9 row 19). The url must not lead
 * into the core's own networks unless allow-listed (src/webhooks/destination.ts). The signing secret
 * is minted here and returned in this result only; it is stored sealed.
 */
export default defineMethod({
  id: 'webhooks.create',
  auth: 'access',
  successStatus: 201,
  params: Type.Object(
    {
      url: Type.String({ minLength: 1, maxLength: 2048, format: 'uri' }),
      scopes: Type.Optional(Type.Union([ScopesSchema, Type.Null()])),
    },
    { additionalProperties: false },
  ),
  async handler(ctx, p) {
    const { user, access } = caller(ctx);
    if (access.type === 'personal') throw errors.forbidden('Webhooks are created by app or shared accesses, not personal ones.');
    const c = ctx.services.config.webhooks;
    const refusal = await checkDestination(p.url, new AllowedHosts(c.allowedHosts), c.requestTimeoutMs);
    if (refusal !== null) {
      throw errors.invalidParametersFormat(`The webhook url is refused: ${refusal}.`, [{ code: 'url-refused', message: refusal, path: '#/url', param: 'url' }]);
    }
    await checkScopes(ctx, p.scopes);
    const { webhooks } = ctx.services.stores;
    const accessId = baseAccessId(access.id);
    if ((await webhooks.countForAccess(user.id, accessId)) >= c.maxPerAccess) {
      throw errors.invalidOperation(`An access may have at most ${c.maxPerAccess} webhooks.`, { data: { limit: c.maxPerAccess } });
    }
    const now = nowSeconds();
    const author = authorOf(ctx);
    const secret = newWebhookSecret();
    const webhook: StoredWebhook = {
      id: newId(), accessId, url: p.url, secretSealed: ctx.services.vault.seal('webhook-secrets', secret), state: 'active', scopes: p.scopes ?? null,
      runCount: 0, failCount: 0, currentRetries: 0, maxRetries: c.maxRetries, minIntervalMs: c.minIntervalMs, runs: [],
      lastRun: { status: 0, timestamp: 0 }, created: now, createdBy: author, modified: now, modifiedBy: author,
    };
    try {
      await webhooks.create(user.id, webhook);
    } catch (err) {
      if (err instanceof DuplicateKeyError && err.key === 'url') {
        throw errors.itemAlreadyExists('This access already has a webhook with this url.', { data: { url: p.url } });
      }
      throw err;
    }
    return { webhook: { ...toApiWebhook(webhook), secret } };
  },
});
