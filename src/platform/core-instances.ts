import type { Row, Statement } from './response.js';
import type { RqliteClient } from './rqlite-client.js';

export interface InstanceReport {
  coreId: string;
  /** The master's rqlited node id: the core id, or `{core}.{clone}` for a clone (issue #13). */
  instance: string;
  available: boolean;
  reason: string;
  /** Heard from before this (ms since epoch), else counted as gone. */
  staleAt: number;
}

export interface InstanceRecord extends InstanceReport {
  seenAt: number;
}

/** A core whose instances are all gone or unavailable. `?` = now. Only cores that report instances. */
const FRESH = 'EXISTS (SELECT 1 FROM core_instances i WHERE i.core_id = cores.id AND i.available = 1 AND i.stale_at > ?)';

/**
 * A core with instance rows is available when one of them is available and fresh; the cores cache
 * epoch moves when a flag changed (`changes()` of the UPDATE before it), so placement sees it.
 */
function recomputeCoreFlags(now: number): Statement[] {
  return [
    [
      `UPDATE cores SET available = CASE WHEN ${FRESH} THEN 1 ELSE 0 END, updated_at = ?
       WHERE EXISTS (SELECT 1 FROM core_instances i WHERE i.core_id = cores.id)
         AND available <> CASE WHEN ${FRESH} THEN 1 ELSE 0 END`,
      now, now, now,
    ],
    [`UPDATE cache_epochs SET epoch = epoch + 1 WHERE scope = 'cores' AND changes() > 0`],
  ];
}

/**
 * Each master's readiness in the platform DB (table core_instances, platform migration 5), and the
 * `cores.available` flag derived from it. Every report also recomputes the flag of **every** core
 * that has instance rows, so a core whose masters all stopped reporting (killed, or their rqlited
 * down: they cannot write) is taken out of placement by any other master once its rows are stale,
 * and a clone that drains leaves its core available while another clone serves.
 */
export class CoreInstancesRepository {
  constructor(private readonly client: RqliteClient) {}

  /** Writes this instance's state; true when some core's `available` flag changed with it. */
  async report(r: InstanceReport, now = Date.now()): Promise<boolean> {
    const results = await this.client.execute(
      [
        [
          `INSERT INTO core_instances (core_id, instance, available, reason, seen_at, stale_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (core_id, instance) DO UPDATE SET available = excluded.available, reason = excluded.reason,
             seen_at = excluded.seen_at, stale_at = excluded.stale_at`,
          r.coreId, r.instance, r.available ? 1 : 0, r.reason || null, now, r.staleAt,
        ],
        ...recomputeCoreFlags(now),
      ],
      { transaction: true, idempotent: true },
    );
    return (results[1]?.rows_affected ?? 0) > 0;
  }

  /**
   * Instances whose rqlited the cluster cannot reach (`/nodes`, probed by another master): marked
   * unavailable at once, with the flags of their cores recomputed, instead of waiting for their
   * heartbeat to go stale (their own master cannot write while its rqlited is down). Instance ids are
   * rqlited node ids. Their master sets them available again at its first report after recovery.
   * Returns the number of instance rows changed.
   */
  async markUnreachable(instances: string[], seenBy: string, now = Date.now()): Promise<number> {
    if (instances.length === 0) return 0;
    const marks = instances.map((instance): Statement => [
      'UPDATE core_instances SET available = 0, reason = ? WHERE instance = ? AND available = 1',
      `rqlited unreachable from ${seenBy}`, instance,
    ]);
    const results = await this.client.execute(
      [
        ...marks,
        ...recomputeCoreFlags(now),
      ],
      { transaction: true, idempotent: true },
    );
    return results.slice(0, marks.length).reduce((n, r) => n + (r.rows_affected ?? 0), 0);
  }

  /** Drops this instance's row (a clean stop: it is not coming back as this process). */
  async forget(coreId: string, instance: string): Promise<void> {
    await this.client.execute([['DELETE FROM core_instances WHERE core_id = ? AND instance = ?', coreId, instance]], { idempotent: true });
  }

  /**
   * Drops every instance row of a core lost for good (bootstrap remove-core): with none left, the
   * other masters' reports no longer recompute its `available` flag from a heartbeat that has not
   * gone stale yet, so the flag remove-core clears stays cleared until a replacement reports.
   */
  async forgetCore(coreId: string): Promise<void> {
    await this.client.execute([['DELETE FROM core_instances WHERE core_id = ?', coreId]], { idempotent: true });
  }

  async list(coreId: string): Promise<InstanceRecord[]> {
    const rows = await this.client.queryRows('SELECT * FROM core_instances WHERE core_id = ? ORDER BY instance', [coreId], 'linearizable');
    return rows.map((row: Row) => ({
      coreId: String(row['core_id']),
      instance: String(row['instance']),
      available: Number(row['available']) === 1,
      reason: row['reason'] === null ? '' : String(row['reason']),
      seenAt: Number(row['seen_at']),
      staleAt: Number(row['stale_at']),
    }));
  }
}
