import type { Event } from '../../domain/types.js';
import type { HolderFacts } from '../../storage/interfaces/series-store.js';

/** What the store re-checks of a cached holder (SeriesStore.checksHolders). */
export function factsOf(event: Event): HolderFacts {
  return { type: event.type, time: event.time, streamIds: event.streamIds };
}

/**
 * Series holder events kept by one worker between requests (issue #10): a series write or read then
 * costs the user lookup and the series statement, not a third round trip for the holder. Safe
 * because nothing is trusted without the store: every write and read carries the holder's type,
 * time and stream ids, and the store applies it only while the stored event still has them and is
 * not trashed (series_put_many, migration 21), in the same statement. A holder trashed, moved,
 * retyped or deleted through any worker or clone is therefore seen by the next call, which drops
 * the entry and loads the event again (src/api/series/holders.ts withHolder). The caller's access
 * is never cached here: it is checked on every call against the cached stream ids.
 */
export class HolderCache {
  private readonly entries = new Map<string, Event>();
  /** Holders loaded from the store, and taken from memory (tests, docs/benchmarks.md). */
  loads = 0;
  hits = 0;

  constructor(private readonly max: number) {}

  get(userId: string, eventId: string): Event | undefined {
    const hit = this.entries.get(`${userId}\u0000${eventId}`);
    if (hit !== undefined) this.hits += 1;
    return hit;
  }

  set(userId: string, eventId: string, event: Event): void {
    this.loads += 1;
    if (this.max === 0) return;
    const key = `${userId}\u0000${eventId}`;
    this.entries.delete(key);
    this.entries.set(key, event);
    // Map order is insertion order: the first key is the least recently loaded holder.
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(userId: string, eventId: string): void {
    this.entries.delete(`${userId}\u0000${eventId}`);
  }
}
