import type { User } from '../../domain/types.js';
import type { Services } from '../context.js';
import { nowSeconds } from '../context.js';
import { eventItem } from '../../notifications/messages.js';

interface Pending {
  user: User;
  eventId: string;
  author: string;
}

/**
 * Keeps holder events in step with their points (Pryv API §5): `duration` grows to the largest
 * deltaTime, `modified`/`modifiedBy` name the last writer, then `eventsChanged` is emitted. Writes to
 * one holder within `delayMs` are coalesced into one update (a 1000-req/s writer costs one event
 * update per delay, not one per request); 0 updates before the write is answered.
 */
export class HolderUpdater {
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly services: Services,
    private readonly delayMs: number,
  ) {}

  /** Records a write by `author` (see authorOf) to the series of `eventId`. */
  async touched(user: User, eventId: string, author: string): Promise<void> {
    const key = `${user.id}\0${eventId}`;
    const scheduled = this.pending.has(key);
    this.pending.set(key, { user, eventId, author });
    if (this.delayMs === 0) return this.flushKey(key);
    if (scheduled) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.flushKey(key).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }, this.delayMs);
    this.timers.add(timer);
  }

  /** Applies every pending update now (shutdown; tests). */
  async flush(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.inFlight, ...[...this.pending.keys()].map((k) => this.flushKey(k))]);
  }

  private async flushKey(key: string): Promise<void> {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    try {
      await this.apply(p);
    } catch (err) {
      this.services.logger.warn({ err, eventId: p.eventId }, 'could not update a series holder event');
    }
  }

  private async apply(p: Pending): Promise<void> {
    const { stores } = this.services;
    const max = await stores.series.maxDeltaTime(p.user.id, p.eventId);
    // Atomic (issue #16): only `duration` and the tracking fields change, computed on the event as
    // stored at that moment, so a user's update made since is kept. `max` read before the lock only
    // grows, and the duration never shrinks here, so a late flush cannot undo a newer one.
    const updated = await stores.events.update(p.user.id, p.eventId, (event) => ({
      ...event,
      // A running holder (duration null) stays running.
      duration: event.duration === null ? null : Math.max(event.duration ?? 0, max ?? 0),
      modified: nowSeconds(),
      modifiedBy: p.author,
    }), { skipVersion: true }); // server-kept metadata: one past version per series write would flood the history
    if (updated === null) return;
    this.services.notifier.emit(p.user.username, 'eventsChanged', undefined, [eventItem(updated.after)]);
  }
}
