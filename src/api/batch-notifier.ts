import type { ChangeItem, ChangeKind } from '../notifications/messages.js';
import type { Notifier } from './context.js';

interface Pending {
  username: string;
  change: ChangeKind;
  /** undefined once any of the merged changes came without items: then it matches every scope. */
  items: ChangeItem[] | undefined;
}

/**
 * The notifier of one batch call (issue #10): its calls' changes are held and sent when the batch
 * ends, one per user and kind of change (`eventsChanged`, `streamsChanged`…), in the order each kind
 * first appeared, instead of one per call: a batch of 1,000 writes told every socket and queued
 * 1,000 webhook changes. The items of merged changes are merged, so scoped subscriptions still see
 * every changed item; a change sent without items (it matches every scope) keeps the merged one
 * without. Changes with a payload (`accessUpdated`) go out at once, as they are. Flushed after the
 * batch's writes committed, whatever the batch's answer.
 */
export class BatchNotifier implements Notifier {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly target: Notifier) {}

  emit(username: string, change: ChangeKind, payload?: Record<string, unknown>, items?: ChangeItem[]): void {
    if (payload !== undefined) {
      this.target.emit(username, change, payload, items);
      return;
    }
    const key = `${username}\0${change}`;
    const known = this.pending.get(key);
    if (known === undefined) this.pending.set(key, { username, change, items: items === undefined ? undefined : [...items] });
    else if (known.items !== undefined) {
      if (items === undefined) known.items = undefined;
      else known.items.push(...items);
    }
  }

  flush(): void {
    for (const p of this.pending.values()) this.target.emit(p.username, p.change, undefined, p.items);
    this.pending.clear();
  }
}
