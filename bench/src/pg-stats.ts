import pg from 'pg';
import type { PgTarget } from './yardsticks.ts';

/** meanPlanMs: planning time per call (a named statement is planned a few times per connection, then not). */
export interface StatementStat { query: string; calls: number; totalMs: number; meanMs: number; meanPlanMs: number; rowsPerCall: number; sharedHitPct: number }

/** pg_stat_statements of the core's database: reset before a scenario, top statements after it. */
export class PgStats {
  private readonly client: pg.Client;

  constructor(target: PgTarget) {
    this.client = new pg.Client(target);
  }

  async open(): Promise<void> {
    await this.client.connect();
  }

  async reset(): Promise<void> {
    await this.client.query('SELECT pg_stat_statements_reset()');
  }

  async top(n = 8): Promise<StatementStat[]> {
    const { rows } = await this.client.query<{ query: string; calls: string; total: number; mean: number; plan: number; rows: string; hit: string; read: string }>(
      `SELECT s.query, s.calls, s.total_exec_time AS total, s.mean_exec_time AS mean, s.total_plan_time / greatest(s.calls, 1) AS plan, s.rows, s.shared_blks_hit AS hit, s.shared_blks_read AS read
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%'
        ORDER BY s.total_exec_time DESC LIMIT $1`,
      [n],
    );
    return rows.map((r) => {
      const calls = Number(r.calls);
      const hit = Number(r.hit);
      const read = Number(r.read);
      return {
        query: r.query.replace(/\s+/g, ' ').slice(0, 300),
        calls,
        totalMs: Math.round(r.total),
        meanMs: Math.round(r.mean * 1000) / 1000,
        meanPlanMs: Math.round(r.plan * 1000) / 1000,
        rowsPerCall: calls === 0 ? 0 : Math.round((Number(r.rows) / calls) * 10) / 10,
        sharedHitPct: hit + read === 0 ? 100 : Math.round((hit / (hit + read)) * 1000) / 10,
      };
    });
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
