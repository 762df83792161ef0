import { baseAccessId } from './access-ids.js';
import type { Access } from './types.js';
import { hasQuery } from './scope-match.js';

/** Webhook rules of the Pryv API (§2.6, §3, §3.5): pure, no I/O. */

export const BOOT_MESSAGE = 'webhooksServiceBoot';
export const TEST_MESSAGE = 'test';

/** The change notifications webhooks relay, with the scope kind each one matches. */
const CHANGE_KINDS: Record<string, 'events' | 'streams' | 'accesses'> = {
  eventsChanged: 'events',
  streamsChanged: 'streams',
  accessesChanged: 'accesses',
};

/** The scope kind of a change webhooks relay; undefined for changes they do not (accessUpdated). */
export function scopeKindOf(change: string): 'events' | 'streams' | 'accesses' | undefined {
  return CHANGE_KINDS[change];
}

/** Queued for one scoped webhook when a change matched that scope's query (src/webhooks/scoped-enqueue.ts). */
export const SCOPE_MESSAGE_PREFIX = 'scope:';

/**
 * The `messages` of a call: the change names as queued, or for a scoped webhook the keys of the
 * scopes concerned (service messages pass as they are). A change name stands for every scope of its
 * kind without a query; a scope with a query is named only by the `scope:<key>` messages queued
 * when a change matched it (still a scope of the webhook when sent).
 */
export function payloadMessages(queued: readonly string[], scopes: Record<string, { kind?: string; query?: Record<string, unknown> }> | null): string[] {
  if (scopes === null) return queued.filter((m) => !m.startsWith(SCOPE_MESSAGE_PREFIX));
  const out = new Set<string>();
  for (const m of queued) {
    if (m.startsWith(SCOPE_MESSAGE_PREFIX)) {
      const key = m.slice(SCOPE_MESSAGE_PREFIX.length);
      if (scopes[key] !== undefined && hasQuery(scopes[key])) out.add(key);
      continue;
    }
    const kind = scopeKindOf(m);
    if (kind === undefined) {
      out.add(m);
      continue;
    }
    for (const [key, scope] of Object.entries(scopes)) if ((scope.kind ?? 'events') === kind && !hasQuery(scope)) out.add(key);
  }
  return [...out];
}

const MAX_RETRY_DELAY_MS = 6 * 3600_000;

/** Delay before the next attempt after `currentRetries` consecutive failures: base, 2×base, 4×base, … */
export function retryDelayMs(baseMs: number, currentRetries: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, currentRetries - 1), MAX_RETRY_DELAY_MS);
}

/** P manages every webhook of its user; any other access only those it created (§3 webhooks.*). */
export function canManageWebhook(access: Pick<Access, 'id' | 'type'>, webhook: { accessId: string }): boolean {
  return access.type === 'personal' || baseAccessId(access.id) === webhook.accessId;
}
