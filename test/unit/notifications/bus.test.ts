import { describe, expect, it } from 'vitest';
import { NotificationBus } from '../../../src/notifications/bus.js';
import type { ChangeMessage } from '../../../src/notifications/messages.js';
import { isMasterMessage, isWorkerMessage } from '../../../src/notifications/ipc.js';

describe('NotificationBus', () => {
  it('delivers locally at once when not in a cluster', () => {
    const bus = new NotificationBus(null);
    const got: ChangeMessage[] = [];
    const off = bus.subscribe((m) => got.push(m));
    bus.publish({ username: 'alice', change: 'eventsChanged' });
    off();
    bus.publish({ username: 'alice', change: 'streamsChanged' });
    expect(got).toEqual([{ username: 'alice', change: 'eventsChanged' }]);
  });

  it('in a cluster, sends to the master and delivers only what the master relays', () => {
    const sent: ChangeMessage[] = [];
    const bus = new NotificationBus((m) => sent.push(m));
    const got: ChangeMessage[] = [];
    bus.subscribe((m) => got.push(m));
    bus.publish({ username: 'bob', change: 'accessesChanged' });
    expect(sent).toEqual([{ username: 'bob', change: 'accessesChanged' }]);
    expect(got).toEqual([]);
    bus.deliver(sent[0] as ChangeMessage);
    expect(got).toEqual(sent);
  });

  it('IPC guards accept well-formed notify messages only', () => {
    expect(isWorkerMessage({ type: 'notify', message: { username: 'a', change: 'eventsChanged' } })).toBe(true);
    expect(isWorkerMessage({ type: 'notify', message: { username: 'a', change: 'nope' } })).toBe(false);
    expect(isMasterMessage({ type: 'notify', message: { username: 'a', change: 'accessUpdated', payload: { serial: 1 } } })).toBe(true);
    expect(isMasterMessage({ type: 'notify' })).toBe(false);
  });
});
