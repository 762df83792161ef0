import { resolveScope } from '../domain/scope-query.js';
import type { Stores } from '../storage/interfaces/stores.js';
import { AccessLogic } from '../domain/access-logic.js';
import { hasQuery, matchedKeys, type PreparedScope, type ScopeKind } from '../domain/scope-match.js';
import { StreamsTree } from '../domain/streams-tree.js';
import { SCOPE_MESSAGE_PREFIX } from '../domain/webhook-rules.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeMessage } from '../notifications/messages.js';

/**
 * Webhook scopes with a query (docs/api.md#webhooks): evaluated when the change happens, against
 * the webhook's access and the user's streams as they are then (the same matching as Socket.IO
 * scopes), and queued for that webhook as `scope:<key>` messages. Scopes without a query follow the
 * change names queued by `WebhooksStore.enqueue`. Returns how many webhooks got a message.
 */
export async function enqueueScopeMatches(stores: Stores, log: Logger, m: ChangeMessage, kind: ScopeKind, now: number): Promise<number> {
  if (kind === 'accesses') return 0;
  const found = await stores.webhooks.withScopeQueries(m.username, kind);
  const first = found[0];
  if (first === undefined) return 0;
  const tree = new StreamsTree(await stores.streams.all(first.userId));
  let queued = 0;
  for (const { userId, webhook } of found) {
    const access = await stores.accesses.getById(userId, webhook.accessId);
    if (access === null || access.deleted !== null) continue;
    const logic = new AccessLogic({ ...access, token: '' }, tree);
    const scopes = new Map<string, PreparedScope>();
    for (const [key, scope] of Object.entries(webhook.scopes ?? {})) {
      const scopeKind = scope.kind ?? 'events';
      if (scopeKind !== kind || !hasQuery(scope)) continue;
      try {
        scopes.set(key, resolveScope({ tree, logic }, { key, kind: scopeKind, query: scope.query ?? {} }));
      } catch (err) {
        // A stream of the query deleted since, or no longer readable by the access: matches nothing.
        log.debug({ err, webhookId: webhook.id, key }, 'webhook scope query no longer resolves');
      }
    }
    const keys = matchedKeys(scopes, m.change, m.items);
    if (keys.length === 0) continue;
    await stores.webhooks.enqueueFor(userId, webhook.id, keys.map((k) => `${SCOPE_MESSAGE_PREFIX}${k}`), now);
    queued += 1;
  }
  return queued;
}
