import type { Row } from './response.js';
import type { RqliteClient } from './rqlite-client.js';

export interface CoreRecord {
  id: string;
  url: string;
  hosting: string;
  available: boolean;
  userCount: number;
  /** Public IP for the embedded DNS server; null = not published in DNS. */
  ip: string | null;
  /** Where its hosting sits in `/reg/hostings` (null: written before platform schema v4). */
  zone: string | null;
  region: string | null;
  hostingName: string | null;
}

/** A core's place in `/reg/hostings`: its config's `registration.zone`, `region`, `hostingName`. */
export interface CorePlace {
  zone?: string | null;
  region?: string | null;
  hostingName?: string | null;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const toCore = (r: Row): CoreRecord => ({
  id: String(r['id']),
  url: String(r['url']),
  hosting: String(r['hosting']),
  available: Number(r['available']) === 1,
  userCount: Number(r['user_count']),
  ip: text(r['ip']),
  zone: text(r['zone']),
  region: text(r['region']),
  hostingName: text(r['hosting_name']),
});

const COLUMNS = 'id, url, hosting, available, user_count, ip, zone, region, hosting_name';
const bumpCores: [string, string] = ['UPDATE cache_epochs SET epoch = epoch + 1 WHERE scope = ?', 'cores'];

/** The cores registry in the platform DB. */
export class CoresRepository {
  constructor(private readonly client: RqliteClient) {}

  /**
   * Registers this core or refreshes its URL/hosting/IP/zone; keeps its user count. Idempotent.
   * `keepAvailable`: an existing row keeps its flag (a clone starting while other clones serve).
   */
  async upsert(core: { id: string; url: string; hosting: string; available: boolean; ip?: string | null; keepAvailable?: boolean } & CorePlace): Promise<void> {
    const now = Date.now();
    await this.client.execute(
      [
        [
          `INSERT INTO cores (id, url, hosting, available, user_count, created_at, updated_at, ip, zone, region, hosting_name)
           VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, hosting = excluded.hosting,
             available = CASE WHEN ? = 1 THEN cores.available ELSE excluded.available END,
             updated_at = excluded.updated_at, ip = excluded.ip, zone = excluded.zone, region = excluded.region,
             hosting_name = excluded.hosting_name`,
          core.id, core.url, core.hosting, core.available ? 1 : 0, now, now, core.ip ?? null,
          core.zone ?? null, core.region ?? null, core.hostingName ?? null, core.keepAvailable === true ? 1 : 0,
        ],
        bumpCores,
      ],
      { transaction: true, idempotent: true },
    );
  }

  /**
   * Sets `available` (placement skips unavailable cores); a no-op write when unchanged, so the
   * caches are flushed only on a real change. Returns true when the flag changed.
   */
  async setAvailable(id: string, available: boolean): Promise<boolean> {
    const [changed] = await this.client.execute(
      [
        ['UPDATE cores SET available = ?, updated_at = ? WHERE id = ? AND available <> ?', available ? 1 : 0, Date.now(), id, available ? 1 : 0],
        [`UPDATE cache_epochs SET epoch = epoch + 1 WHERE scope = 'cores' AND changes() > 0`],
      ],
      { transaction: true, idempotent: true },
    );
    return changed?.rows_affected === 1;
  }

  async list(): Promise<CoreRecord[]> {
    const rows = await this.client.queryRows(`SELECT ${COLUMNS} FROM cores ORDER BY id`, [], 'linearizable');
    return rows.map(toCore);
  }

  /** One core by id (routing a user to its home core reads just that row). */
  async get(id: string): Promise<CoreRecord | null> {
    const rows = await this.client.queryRows(`SELECT ${COLUMNS} FROM cores WHERE id = ?`, [id], 'linearizable');
    return rows[0] === undefined ? null : toCore(rows[0]);
  }
}
