import { describe, expect, it } from 'vitest';
import { BatchNotifier } from '../../../src/api/batch-notifier.js';
import type { Notifier } from '../../../src/api/context.js';
import type { ChangeItem } from '../../../src/notifications/messages.js';

type Sent = Parameters<Notifier['emit']>;

function recorder(): { target: Notifier; sent: Sent[] } {
  const sent: Sent[] = [];
  return { target: { emit: (...args: Sent) => void sent.push(args) }, sent };
}

const item = (id: string): ChangeItem => ({ kind: 'streams', stream: { id, parentId: null } });

describe('BatchNotifier (one notification per user and kind of change per batch)', () => {
  it('holds changes until flush, merged per user and kind, in the order each first appeared, items merged', () => {
    const { target, sent } = recorder();
    const n = new BatchNotifier(target);
    n.emit('ann', 'streamsChanged', undefined, [item('a')]);
    n.emit('ann', 'eventsChanged');
    n.emit('ann', 'streamsChanged', undefined, [item('b')]);
    n.emit('bob', 'streamsChanged', undefined, [item('c')]);
    expect(sent).toEqual([]);
    n.flush();
    expect(sent).toEqual([
      ['ann', 'streamsChanged', undefined, [item('a'), item('b')]],
      ['ann', 'eventsChanged', undefined, undefined],
      ['bob', 'streamsChanged', undefined, [item('c')]],
    ]);
    n.flush();
    expect(sent).toHaveLength(3);
  });

  it('a change without items makes the merged one match every scope (no items), whichever came first', () => {
    const { target, sent } = recorder();
    const n = new BatchNotifier(target);
    n.emit('ann', 'eventsChanged', undefined, [item('a')]);
    n.emit('ann', 'eventsChanged');
    n.emit('ann', 'eventsChanged', undefined, [item('b')]);
    n.flush();
    expect(sent).toEqual([['ann', 'eventsChanged', undefined, undefined]]);
  });

  it('sends a change with a payload at once, as it is', () => {
    const { target, sent } = recorder();
    const n = new BatchNotifier(target);
    const payload = { type: 'access-updated', accessId: 'x', serial: 2 };
    n.emit('ann', 'accessUpdated', payload);
    expect(sent).toEqual([['ann', 'accessUpdated', payload, undefined]]);
  });

  it('does not keep the caller’s items array (later pushes to it change nothing)', () => {
    const { target, sent } = recorder();
    const n = new BatchNotifier(target);
    const items = [item('a')];
    n.emit('ann', 'streamsChanged', undefined, items);
    n.emit('ann', 'streamsChanged', undefined, [item('b')]);
    expect(items).toEqual([item('a')]);
    n.flush();
    expect(sent[0]?.[3]).toEqual([item('a'), item('b')]);
  });
});
