import type { RqliteClient } from './rqlite-client.js';

export interface PlatformCacheOptions {
  /** How often the cache-epoch row is polled (level=none, a local read). */
  pollMs: number;
  /** Backstop: an entry is never served older than this, whatever the epochs say. */
  ttlMs: number;
  maxEntries: number;
}

interface Entry<T> {
  value: T;
  at: number;
}

/**
 * Per-process cache of platform lookups (user → home core, the cores list), notes §4.3: a writer
 * bumps `cache_epochs` in the same transaction as a change cached readers must see; each process
 * polls that two-row table at level=none and flushes on any change, or when the poll fails (it can
 * no longer tell). A lookup is thus at most `pollMs` + replication lag stale, `ttlMs` at worst.
 */
export class PlatformCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private epochs: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly client: RqliteClient,
    private readonly options: PlatformCacheOptions,
  ) {}

  /** The cached value, or `load()` (cached when not null). Concurrent misses each load. */
  async get(key: string, load: () => Promise<T | null>): Promise<T | null> {
    this.ensurePolling();
    const hit = this.entries.get(key);
    if (hit !== undefined && Date.now() - hit.at < this.options.ttlMs) return hit.value;
    const epochsBefore = this.epochs;
    const value = await load();
    // A flush during the load may concern this very value: keep it out of the cache.
    if (value !== null && this.epochs === epochsBefore) {
      if (this.entries.size >= this.options.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(key, { value, at: Date.now() });
    }
    return value;
  }

  flush(): void {
    this.entries.clear();
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll (exposed for tests): flushes when the epochs changed or cannot be read. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.client.queryRows('SELECT scope, epoch FROM cache_epochs ORDER BY scope', [], 'none');
      const now = rows.map((r) => `${String(r['scope'])}=${String(r['epoch'])}`).join(',');
      if (now !== this.epochs) {
        this.entries.clear();
        this.epochs = now;
      }
    } catch {
      this.entries.clear();
      this.epochs = null;
    } finally {
      this.polling = false;
    }
  }

  private ensurePolling(): void {
    if (this.timer !== null || this.options.pollMs <= 0) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    void this.poll();
  }
}
