import type { RqliteClient } from '../platform/rqlite-client.js';
import { restoreMappings, type UserMapping } from '../platform/user-mappings.js';

/**
 * The restored users' platform mappings, written in batches behind their imports (restore-backup.ts):
 * a mapping per user cost two rqlite round trips (one a Raft commit) while that user's import slot
 * waited. One batch is written at a time; every mapping is written, refused or failed before `done()`
 * returns, so the integrity check that follows sees them all. A mapping makes its user reachable:
 * `beforeBatch` first makes the batch's data durable (its imports may have committed asynchronously).
 */
export class MappingWrites {
  private pending: UserMapping[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failure: { err: unknown } | null = null;
  /** Usernames whose mapping was refused (a unique value belongs to another username). */
  readonly refused: string[] = [];

  constructor(
    private readonly rqlite: RqliteClient,
    private readonly coreId: string,
    private readonly batchSize: number,
    /** Awaited before each batch: the batch's users' data made durable first (BulkImport.durable). */
    private readonly beforeBatch: () => Promise<void> = async () => undefined,
  ) {}

  /** Queues a mapping; throws an earlier batch's failure, so the restore stops at its next user. */
  add(m: UserMapping): void {
    if (this.failure !== null) throw this.failure.err;
    this.pending.push(m);
    if (this.pending.length >= this.batchSize) this.flush();
  }

  /** Writes what is queued and waits for every batch; throws the first failure. */
  async done(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure !== null) throw this.failure.err;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    this.chain = this.chain.then(async () => {
      if (this.failure !== null) return;
      try {
        await this.beforeBatch();
        this.refused.push(...(await restoreMappings(this.rqlite, this.coreId, batch)));
      } catch (err) {
        this.failure = { err };
      }
    });
  }
}
