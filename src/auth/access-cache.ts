import type { Logger } from '../logging/logger.js';
import type { AccessesStore } from '../storage/interfaces/accesses-store.js';
import { baseAccessId } from '../domain/access-ids.js';

interface Usage {
  userId: string;
  accessId: string;
  lastUsed: number;
  calls: Record<string, number>;
}

/**
 * Per-worker buffer of access usage (lastUsed, call counts), written in one statement per access
 * every few seconds instead of once per request. It caches no access: every request reads its
 * access with its user (src/api/resolve-user.ts), so a deleted, expired or changed access is refused
 * by the next request on every worker (issue #10; it used to keep token lookups up to 1 s).
 */
export class AccessCache {
  private readonly usage = new Map<string, Usage>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: AccessesStore,
    private readonly logger: Logger,
    flushMs = 2000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  recordCall(ctx: { user: { id: string } | null; access: { id: string } | null }, methodId: string): void {
    if (ctx.user === null || ctx.access === null) return;
    // Usage belongs to the access across its versions: stored under the base id.
    const accessId = baseAccessId(ctx.access.id);
    const key = `${ctx.user.id}\0${accessId}`;
    let u = this.usage.get(key);
    if (u === undefined) {
      u = { userId: ctx.user.id, accessId, lastUsed: 0, calls: {} };
      this.usage.set(key, u);
    }
    u.lastUsed = Date.now() / 1000;
    u.calls[methodId] = (u.calls[methodId] ?? 0) + 1;
  }

  /**
   * Writes the usage recorded so far. Flushes run one after the other: one called while the timer's
   * is still writing waits for it, so when it resolves every call recorded before it is stored (a
   * slow store, such as FerretDB's, made the timer's write outlast an explicit flush or close).
   */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeUsage());
    return this.flushing;
  }

  private async writeUsage(): Promise<void> {
    const pending = [...this.usage.values()];
    this.usage.clear();
    for (const u of pending) {
      await this.store.recordUsage(u.userId, u.accessId, u.lastUsed, u.calls).catch((err: Error) => {
        this.logger.warn({ err: err.message }, 'could not record access usage');
      });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
