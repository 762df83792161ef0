import { describe, expect, it } from 'vitest';
import { ListenerBroadcast, type ListenerTarget } from '../../../src/master/listener-broadcast.js';
import type { MasterToWorker } from '../../../src/notifications/ipc.js';
import { createLogger } from '../../../src/logging/logger.js';

const log = createLogger({ level: 'silent', role: 'test' });

function workers(ids: number[]): { targets: ListenerTarget[]; inbox: Map<number, MasterToWorker[]> } {
  const inbox = new Map<number, MasterToWorker[]>(ids.map((id) => [id, []]));
  return { inbox, targets: ids.map((id) => ({ id, send: (m) => inbox.get(id)?.push(m) })) };
}

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 5));
  return done;
};

describe('ListenerBroadcast (which users every worker sends changes of)', () => {
  it('an announce resolves once every worker acknowledged it, and is announced once', async () => {
    const { targets, inbox } = workers([1, 2, 3]);
    const b = new ListenerBroadcast(() => targets, log);
    const told = b.announce('alice');
    for (const id of [1, 2, 3]) expect(inbox.get(id)).toEqual([{ type: 'listeners', usernames: ['alice'], on: true, seq: 1 }]);
    b.acked(1, 1);
    b.acked(2, 1);
    b.acked(2, 99);
    expect(await settled(told)).toBe(false);
    // A second listener of the same user waits for the same round; nothing more is sent.
    const again = b.announce('alice');
    expect(inbox.get(1)).toHaveLength(1);
    b.acked(3, 1);
    expect(await settled(told)).toBe(true);
    expect(await settled(again)).toBe(true);
    expect(b.snapshot()).toEqual({ type: 'listeners', usernames: ['alice'], on: true, reset: true });
  });

  it('a worker that exits is not waited for; a silent one only until the timeout', async () => {
    const { targets } = workers([1, 2]);
    const b = new ListenerBroadcast(() => targets, log, 50);
    const told = b.announce('bob');
    b.acked(1, 1);
    b.gone(2);
    expect(await settled(told)).toBe(true);
    const slow = b.announce('carol');
    b.acked(1, 2);
    expect(await settled(slow)).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(await settled(slow)).toBe(true);
  });

  it('a withdrawal tells every worker; the next announce of that user is a new round', async () => {
    const { targets, inbox } = workers([1]);
    const b = new ListenerBroadcast(() => targets, log);
    const told = b.announce('dave');
    b.acked(1, 1);
    await told;
    b.withdraw(['dave', 'nobody']);
    expect(inbox.get(1)?.at(-1)).toEqual({ type: 'listeners', usernames: ['dave'], on: false });
    b.withdraw(['dave']);
    expect(inbox.get(1)).toHaveLength(2);
    expect(b.snapshot()).toEqual({ type: 'listeners', usernames: [], on: true, reset: true });
    void b.announce('dave');
    expect(inbox.get(1)?.at(-1)).toEqual({ type: 'listeners', usernames: ['dave'], on: true, seq: 2 });
  });

  it('with no worker serving yet, an announce resolves at once (those that load get the snapshot)', async () => {
    const b = new ListenerBroadcast(() => [], log);
    expect(await settled(b.announce('erin'))).toBe(true);
    expect(b.snapshot()).toEqual({ type: 'listeners', usernames: ['erin'], on: true, reset: true });
  });
});
