import { describe, expect, it } from 'vitest';
import { ChangeRouting } from '../../../src/master/change-routing.js';
import type { ChangeMessage } from '../../../src/notifications/messages.js';

const events = (username: string): ChangeMessage => ({ username, change: 'eventsChanged' });

describe('ChangeRouting (which workers the master relays a change to)', () => {
  it('access changes go only to API workers listening to that user (no worker caches accesses)', () => {
    const r = new ChangeRouting();
    r.listen(1, 'a', true);
    for (const change of ['accessesChanged', 'accessUpdated'] as const) {
      expect(r.wants(1, 'api', { username: 'a', change })).toBe(true);
      expect(r.wants(2, 'api', { username: 'a', change })).toBe(false);
      for (const role of ['hfs', 'previews', undefined] as const) expect(r.wants(1, role, { username: 'a', change })).toBe(false);
    }
  });

  it('changes go only to API workers listening to that user, until their last socket goes', () => {
    const r = new ChangeRouting();
    expect(r.wants(1, 'api', events('alice'))).toBe(false);
    r.listen(1, 'alice', true);
    r.listen(2, 'bob', true);
    expect(r.wants(1, 'api', events('alice'))).toBe(true);
    expect(r.wants(1, 'api', { username: 'alice', change: 'streamsChanged' })).toBe(true);
    expect(r.wants(2, 'api', events('alice'))).toBe(false);
    expect(r.wants(1, 'hfs', events('alice'))).toBe(false);
    r.listen(1, 'alice', false);
    expect(r.wants(1, 'api', events('alice'))).toBe(false);
    expect(r.wants(2, 'api', events('bob'))).toBe(true);
    r.forget(2);
    expect(r.wants(2, 'api', events('bob'))).toBe(false);
  });

  it('says when a user gets its first listener and loses its last, a worker exit included', () => {
    const r = new ChangeRouting();
    expect(r.listen(1, 'alice', true)).toBe('first');
    expect(r.listen(1, 'alice', true)).toBe(null);
    expect(r.listen(2, 'alice', true)).toBe(null);
    expect(r.listen(2, 'bob', true)).toBe('first');
    expect(r.listen(1, 'alice', false)).toBe(null);
    expect(r.listen(1, 'alice', false)).toBe(null);
    expect(r.wants(2, 'api', events('alice'))).toBe(true);
    expect(r.forget(2).sort()).toEqual(['alice', 'bob']);
    // Nobody listens any more: the next listener of each is a first again.
    expect(r.listen(4, 'alice', true)).toBe('first');
    expect(r.listen(3, 'carol', false)).toBe(null);
    expect(r.listen(3, 'carol', true)).toBe('first');
    expect(r.listen(3, 'carol', false)).toBe('last');
    expect(r.listen(3, 'carol', true)).toBe('first');
  });
});
