import { createHash } from 'node:crypto';
import type { Row } from './response.js';
import type { RqliteClient } from './rqlite-client.js';
import type { CorePlace } from './cores.js';

export interface ClusterNode {
  coreId: string;
  ip: string;
  raftAddress: string;
  /** Wanted suffrage (the core's master makes its rqlited match it). */
  voter: boolean;
  certSha256: string | null;
  certExpiresAt: number | null;
}

export type TokenState = 'valid' | 'unknown' | 'expired' | 'used' | 'revoked';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

const toNode = (r: Row): ClusterNode => ({
  coreId: String(r['core_id']),
  ip: String(r['ip']),
  raftAddress: String(r['raft_address']),
  voter: Number(r['voter']) === 1,
  certSha256: r['cert_sha256'] === null ? null : String(r['cert_sha256']),
  certExpiresAt: r['cert_expires_at'] === null ? null : Number(r['cert_expires_at']),
});

export interface NewCore extends CorePlace {
  id: string;
  url: string;
  hosting: string;
  ip: string;
  raftAddress: string;
  certSha256: string;
  certExpiresAt: number;
}

/** Cluster membership records and join tokens in the platform DB (schema v2). */
export class ClusterRepository {
  constructor(private readonly client: RqliteClient) {}

  async list(): Promise<ClusterNode[]> {
    const rows = await this.client.queryRows('SELECT * FROM cluster_nodes ORDER BY core_id', [], 'linearizable');
    return rows.map(toNode);
  }

  async get(coreId: string): Promise<ClusterNode | null> {
    const rows = await this.client.queryRows('SELECT * FROM cluster_nodes WHERE core_id = ?', [coreId], 'linearizable');
    return rows[0] === undefined ? null : toNode(rows[0]);
  }

  /** This core's own row, refreshed at every start; a new row gets `voter` as given. */
  async upsertSelf(node: { coreId: string; ip: string; raftAddress: string; voter: boolean }): Promise<void> {
    const now = Date.now();
    await this.client.execute(
      [[
        `INSERT INTO cluster_nodes (core_id, ip, raft_address, voter, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (core_id) DO UPDATE SET ip = excluded.ip, raft_address = excluded.raft_address, updated_at = excluded.updated_at`,
        node.coreId, node.ip, node.raftAddress, node.voter ? 1 : 0, now, now,
      ]],
      { idempotent: true },
    );
  }

  /**
   * `new-core`: the core (unavailable until it acknowledges), its cluster record and one join token,
   * in one transaction. A core that already serves (available) is refused by the caller first.
   */
  async preRegister(core: NewCore, token: string, issuedBy: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.client.execute(
      [
        [
          `INSERT INTO cores (id, url, hosting, available, user_count, created_at, updated_at, zone, region, hosting_name) VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, hosting = excluded.hosting, available = 0, updated_at = excluded.updated_at,
             zone = excluded.zone, region = excluded.region, hosting_name = excluded.hosting_name`,
          core.id, core.url, core.hosting, now, now, core.zone ?? null, core.region ?? null, core.hostingName ?? null,
        ],
        [
          `INSERT INTO cluster_nodes (core_id, ip, raft_address, voter, cert_sha256, cert_expires_at, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?)
           ON CONFLICT (core_id) DO UPDATE SET ip = excluded.ip, raft_address = excluded.raft_address, cert_sha256 = excluded.cert_sha256,
           cert_expires_at = excluded.cert_expires_at, updated_at = excluded.updated_at`,
          core.id, core.ip, core.raftAddress, core.certSha256, core.certExpiresAt, now, now,
        ],
        ['UPDATE join_tokens SET revoked_at = ? WHERE core_id = ? AND used_at IS NULL AND revoked_at IS NULL', now, core.id],
        ['INSERT INTO join_tokens (token_hash, core_id, issued_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', hashToken(token), core.id, issuedBy, now, now + ttlMs],
      ],
      { transaction: true },
    );
  }

  async recordCertificate(coreId: string, sha256: string, expiresAt: number): Promise<void> {
    await this.client.execute([['UPDATE cluster_nodes SET cert_sha256 = ?, cert_expires_at = ?, updated_at = ? WHERE core_id = ?', sha256, expiresAt, Date.now(), coreId]], { idempotent: true });
  }

  async tokenState(coreId: string, token: string): Promise<TokenState> {
    const rows = await this.client.queryRows('SELECT expires_at, used_at, revoked_at FROM join_tokens WHERE token_hash = ? AND core_id = ?', [hashToken(token), coreId], 'linearizable');
    const r = rows[0];
    if (r === undefined) return 'unknown';
    if (r['used_at'] !== null) return 'used';
    if (r['revoked_at'] !== null) return 'revoked';
    return Number(r['expires_at']) < Date.now() ? 'expired' : 'valid';
  }

  /**
   * Burns the token and marks the core available, atomically: the availability update only applies
   * while the token is still valid, and the burn's row count says whether this call won.
   */
  async consumeToken(coreId: string, token: string): Promise<boolean> {
    const now = Date.now();
    const hash = hashToken(token);
    const valid = 'EXISTS (SELECT 1 FROM join_tokens WHERE token_hash = ? AND core_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at >= ?)';
    const [, burn] = await this.client.execute(
      [
        [`UPDATE cores SET available = 1, updated_at = ? WHERE id = ? AND ${valid}`, now, coreId, hash, coreId, now],
        ['UPDATE join_tokens SET used_at = ? WHERE token_hash = ? AND core_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at >= ?', now, hash, coreId, now],
      ],
      { transaction: true },
    );
    return burn?.rows_affected === 1;
  }

  /** Revokes every unused token of a core; returns how many. */
  async revokeTokens(coreId: string): Promise<number> {
    const [r] = await this.client.execute([['UPDATE join_tokens SET revoked_at = ? WHERE core_id = ? AND used_at IS NULL AND revoked_at IS NULL', Date.now(), coreId]]);
    return r?.rows_affected ?? 0;
  }

  /** A removed core: a replacement under the same id joins as a non-voter. */
  async setNonVoter(coreId: string): Promise<void> {
    await this.client.execute([['UPDATE cluster_nodes SET voter = 0, updated_at = ? WHERE core_id = ?', Date.now(), coreId]], { idempotent: true });
  }

  async setVoter(coreIds: string[]): Promise<void> {
    await this.client.execute(coreIds.map((id) => ['UPDATE cluster_nodes SET voter = 1, updated_at = ? WHERE core_id = ?', Date.now(), id]), { transaction: true, idempotent: true });
  }
}
