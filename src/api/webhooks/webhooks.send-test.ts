import { Type } from '@sinclair/typebox';
import { TEST_MESSAGE } from '../../domain/webhook-rules.js';
import { errors } from '../../errors/index.js';
import { WebhookSender } from '../../webhooks/sender.js';
import { defineMethod } from '../method.js';
import { loadManagedWebhook, toApiWebhook } from './shared.js';

/**
 * Pryv API §3 `webhooks.test`: one signed call with `messages: ["test"]`, now, whatever the state.
 * It is not a delivery: no run is recorded and no retry follows. No 2xx answer (refused destination,
 * unreachable, timeout, any other status) → 400 unknown-referenced-resource.
 */
export default defineMethod({
  id: 'webhooks.test',
  auth: 'access',
  params: Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  async handler(ctx, p) {
    const { webhook } = await loadManagedWebhook(ctx, p.id);
    const { config, vault } = ctx.services;
    const sender = new WebhookSender({ ...config.webhooks, serial: config.service.serial });
    try {
      const outcome = await sender.post(webhook, vault.unseal('webhook-secrets', webhook.secretSealed), [TEST_MESSAGE]);
      if (!outcome.ok) {
        throw errors.unknownReferencedResource(`The webhook url did not answer the test call with a 2xx status (got ${outcome.status}).`, {
          data: { url: webhook.url, status: outcome.status },
        });
      }
    } finally {
      await sender.close();
    }
    return { webhook: toApiWebhook(webhook) };
  },
});
