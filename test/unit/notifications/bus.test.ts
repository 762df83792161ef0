import { describe, expect, it } from 'vitest';
import { NotificationBus } from '../../../src/notifications/bus.js';
import type { ChangeMessage } from '../../../src/notifications/messages.js';
import { isMasterMessage, isWorkerMessage, type WorkerToMaster } from '../../../src/notifications/ipc.js';

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
    const sent: WorkerToMaster[] = [];
    const bus = new NotificationBus((m) => sent.push(m));
    const got: ChangeMessage[] = [];
    bus.subscribe((m) => got.push(m));
    const change: ChangeMessage = { username: 'bob', change: 'accessesChanged' };
    bus.publish(change);
    expect(sent).toEqual([{ type: 'notify', message: change }]);
    expect(got).toEqual([]);
    bus.deliver(change);
    expect(got).toEqual([change]);
    bus.listen('bob', true);
    expect(sent.at(-1)).toEqual({ type: 'listen', username: 'bob', on: true });
    expect(sent.every((m) => isWorkerMessage(m))).toBe(true);
  });

  it('IPC guards accept well-formed notify messages only', () => {
    expect(isWorkerMessage({ type: 'notify', message: { username: 'a', change: 'eventsChanged' } })).toBe(true);
    expect(isWorkerMessage({ type: 'notify', message: { username: 'a', change: 'nope' } })).toBe(false);
    expect(isMasterMessage({ type: 'notify', message: { username: 'a', change: 'accessUpdated', payload: { serial: 1 } } })).toBe(true);
    expect(isMasterMessage({ type: 'notify' })).toBe(false);
    expect(isWorkerMessage({ type: 'listen', username: 'a', on: false })).toBe(true);
    expect(isWorkerMessage({ type: 'listen', username: 'a' })).toBe(false);
  });
});
