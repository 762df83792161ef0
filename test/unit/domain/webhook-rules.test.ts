import { describe, expect, it } from 'vitest';
import { canManageWebhook, payloadMessages, retryDelayMs } from '../../../src/domain/webhook-rules.js';

describe('payloadMessages', () => {
  it('passes change names through for an unscoped webhook', () => {
    expect(payloadMessages(['eventsChanged', 'webhooksServiceBoot'], null)).toEqual(['eventsChanged', 'webhooksServiceBoot']);
  });
  it('maps changes to the matching scope keys (kind defaults to events); service messages pass', () => {
    const scopes = { diary: {}, tree: { kind: 'streams' }, who: { kind: 'accesses' } };
    expect(payloadMessages(['eventsChanged', 'streamsChanged', 'webhooksServiceBoot'], scopes)).toEqual(['diary', 'tree', 'webhooksServiceBoot']);
    expect(payloadMessages(['accessesChanged'], { diary: {} })).toEqual([]);
  });
  it('names a scope with a query only through its scope:<key> messages, while it is still a scope', () => {
    const scopes = { notes: { query: { types: ['note/txt'] } }, all: { query: {} }, tree: { kind: 'streams', query: { streams: ['a'] } } };
    expect(payloadMessages(['eventsChanged'], scopes)).toEqual(['all']);
    expect(payloadMessages(['eventsChanged', 'scope:notes', 'scope:gone', 'scope:all'], scopes)).toEqual(['all', 'notes']);
    expect(payloadMessages(['streamsChanged'], scopes)).toEqual([]);
    expect(payloadMessages(['eventsChanged', 'scope:notes'], null)).toEqual(['eventsChanged']);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base on each further failure, capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(100, n))).toEqual([100, 200, 400, 800]);
    expect(retryDelayMs(1000, 40)).toBe(6 * 3600_000);
  });
});

describe('canManageWebhook', () => {
  it('lets P handle any webhook and others only their own, across access versions', () => {
    expect(canManageWebhook({ id: 'p', type: 'personal' }, { accessId: 'x' })).toBe(true);
    expect(canManageWebhook({ id: 'a:2', type: 'app' }, { accessId: 'a' })).toBe(true);
    expect(canManageWebhook({ id: 'b', type: 'shared' }, { accessId: 'a' })).toBe(false);
  });
});
