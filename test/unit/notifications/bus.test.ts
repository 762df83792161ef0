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

  it('in a cluster, sends the master only changes of users some worker listens to, and delivers what it relays', () => {
    const sent: WorkerToMaster[] = [];
    const bus = new NotificationBus((m) => sent.push(m));
    const got: ChangeMessage[] = [];
    bus.subscribe((m) => got.push(m));
    const change: ChangeMessage = { username: 'bob', change: 'accessesChanged' };
    bus.publish(change);
    expect(sent).toEqual([]);
    bus.setListened(['bob', 'carol'], true);
    bus.publish(change);
    bus.publish({ username: 'dave', change: 'eventsChanged' });
    expect(sent).toEqual([{ type: 'notify', message: change }]);
    expect(got).toEqual([]);
    bus.deliver(change);
    expect(got).toEqual([change]);
    bus.setListened(['bob'], false);
    bus.publish(change);
    bus.publish({ username: 'carol', change: 'eventsChanged' });
    expect(sent.slice(1)).toEqual([{ type: 'notify', message: { username: 'carol', change: 'eventsChanged' } }]);
    // The whole list replaces what the worker knew.
    bus.setListened(['erin'], true, true);
    bus.publish({ username: 'carol', change: 'eventsChanged' });
    expect(sent).toHaveLength(2);
    expect(sent.every((m) => isWorkerMessage(m))).toBe(true);
  });

  it('a clone sends every change (the other clones need them all)', () => {
    const sent: WorkerToMaster[] = [];
    const bus = new NotificationBus((m) => sent.push(m), { relayAll: true });
    bus.publish({ username: 'bob', change: 'eventsChanged' });
    expect(sent).toEqual([{ type: 'notify', message: { username: 'bob', change: 'eventsChanged' } }]);
  });

  it('listen(on) resolves only when the master acknowledges it; off at once', async () => {
    const sent: WorkerToMaster[] = [];
    const bus = new NotificationBus((m) => sent.push(m));
    let acked = false;
    const on = bus.listen('bob', true).then(() => (acked = true));
    expect(sent).toEqual([{ type: 'listen', username: 'bob', on: true, id: 1 }]);
    await new Promise((r) => setTimeout(r, 10));
    expect(acked).toBe(false);
    bus.listenAcked(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(acked).toBe(false);
    bus.listenAcked(1);
    await on;
    expect(acked).toBe(true);
    await bus.listen('bob', false);
    expect(sent.at(-1)).toEqual({ type: 'listen', username: 'bob', on: false });
    expect(sent.every((m) => isWorkerMessage(m))).toBe(true);
  });

  it('IPC guards accept well-formed notify messages only', () => {
    expect(isWorkerMessage({ type: 'notify', message: { username: 'a', change: 'eventsChanged' } })).toBe(true);
    expect(isWorkerMessage({ type: 'notify', message: { username: 'a', change: 'nope' } })).toBe(false);
    expect(isMasterMessage({ type: 'notify', message: { username: 'a', change: 'accessUpdated', payload: { serial: 1 } } })).toBe(true);
    expect(isMasterMessage({ type: 'notify' })).toBe(false);
    expect(isWorkerMessage({ type: 'listen', username: 'a', on: false })).toBe(true);
    expect(isWorkerMessage({ type: 'listen', username: 'a' })).toBe(false);
    expect(isWorkerMessage({ type: 'listen', username: 'a', on: true, id: 'x' })).toBe(false);
    expect(isWorkerMessage({ type: 'listeners-ack', seq: 3 })).toBe(true);
    expect(isWorkerMessage({ type: 'listeners-ack' })).toBe(false);
    expect(isMasterMessage({ type: 'listeners', usernames: ['a'], on: true, seq: 1 })).toBe(true);
    expect(isMasterMessage({ type: 'listeners', usernames: [1], on: true })).toBe(false);
    expect(isMasterMessage({ type: 'listeners', usernames: ['a'] })).toBe(false);
    expect(isMasterMessage({ type: 'listen-ack', id: 4 })).toBe(true);
    expect(isMasterMessage({ type: 'listen-ack' })).toBe(false);
  });
});
